namespace Bencode;

/// <summary>
/// Limits and strictness for reading bencode. <see cref="Default"/> is strict (canonical BEP 3 encoding);
/// <see cref="Lenient"/> accepts the deviations met in real-world .torrent files.
/// </summary>
public sealed record BencodeReaderOptions
{
    /// <summary>The largest nesting depth accepted (lists and dictionaries). At most <see cref="MaxSupportedDepth"/>.</summary>
    public const int MaxSupportedDepth = 256;

    /// <summary>Strict, canonical bencode with safe limits.</summary>
    public static BencodeReaderOptions Default { get; } = new();

    /// <summary>Accepts unsorted and duplicate dictionary keys and leading zeros, as found in some real torrents.</summary>
    public static BencodeReaderOptions Lenient { get; } = new() { RequireSortedKeys = false, RejectLeadingZeros = false };

    private readonly int _maxDepth = 64;

    /// <summary>Maximum nesting depth of lists and dictionaries (default 64).</summary>
    public int MaxDepth
    {
        get => _maxDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxSupportedDepth);
            _maxDepth = value;
        }
    }

    /// <summary>Maximum length of one byte string (default 64 MiB).</summary>
    public long MaxStringLength { get; init; } = 64L * 1024 * 1024;

    /// <summary>Require dictionary keys in ascending raw-byte order without duplicates (default true).</summary>
    public bool RequireSortedKeys { get; init; } = true;

    /// <summary>Reject integers and string lengths with leading zeros, and <c>i-0e</c> (default true).</summary>
    public bool RejectLeadingZeros { get; init; } = true;

    /// <summary>Reject bytes after the first complete value when decoding a whole buffer (default true).</summary>
    public bool RejectTrailingData { get; init; } = true;
}
