using System.Globalization;

namespace MagnetUri;

/// <summary>
/// An inclusive range of file indices from a magnet link's BEP 53 <c>so</c> (select-only) parameter:
/// <c>so=0,2,4-6</c> is the ranges 0, 2 and 4-6.
/// </summary>
public readonly record struct FileIndexRange
{
    /// <summary>Creates the range <paramref name="start"/>..<paramref name="end"/>, both inclusive.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is negative or greater than <paramref name="end"/>.</exception>
    public FileIndexRange(int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        Start = start;
        End = end;
    }

    /// <summary>A range of one file index.</summary>
    public FileIndexRange(int index)
        : this(index, index)
    {
    }

    /// <summary>First selected file index.</summary>
    public int Start { get; }

    /// <summary>Last selected file index (inclusive).</summary>
    public int End { get; }

    /// <summary>Number of file indices in the range.</summary>
    public long Count => (long)End - Start + 1;

    /// <summary>Whether <paramref name="index"/> lies in the range.</summary>
    public bool Contains(int index) => index >= Start && index <= End;

    /// <summary>Parses <c>n</c> or <c>a-b</c> (decimal, non-negative, a &lt;= b).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out FileIndexRange range)
    {
        range = default;
        var dash = text.IndexOf('-');
        if (dash < 0)
        {
            if (!TryParseIndex(text, out var single)) return false;
            range = new FileIndexRange(single, single);
            return true;
        }

        if (!TryParseIndex(text[..dash], out var start) || !TryParseIndex(text[(dash + 1)..], out var end) || end < start) return false;
        range = new FileIndexRange(start, end);
        return true;
    }

    /// <summary><c>n</c> for one index, <c>a-b</c> otherwise.</summary>
    public override string ToString() =>
        Start == End ? Start.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Start}-{End}");

    private static bool TryParseIndex(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
