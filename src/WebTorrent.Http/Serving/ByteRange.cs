namespace WebTorrent.Http.Serving;

/// <summary>An inclusive byte range <c>[First, Last]</c> of a representation, already resolved against its length.</summary>
/// <param name="First">First byte offset.</param>
/// <param name="Last">Last byte offset (inclusive).</param>
internal readonly record struct ByteRange(long First, long Last)
{
    /// <summary>Number of bytes in the range.</summary>
    public long Length => Last - First + 1;
}

/// <summary>What a <c>Range</c> header asks for.</summary>
internal enum RangeRequestKind
{
    /// <summary>No usable Range header (absent, another unit, malformed, or too many ranges): send the whole file (200).</summary>
    Full,

    /// <summary>One or more satisfiable ranges were written to the output span (206).</summary>
    Ranges,

    /// <summary>The syntax is valid but no range overlaps the file (416).</summary>
    Unsatisfiable,
}
