namespace WebTorrent.Http.Serving;

/// <summary>
/// Parses an HTTP <c>Range</c> header (RFC 9110 section 14) for the <c>bytes</c> unit against a known length. Pure:
/// no I/O and no allocation; the ranges go to a caller-provided span.
/// </summary>
internal static class ByteRangeParser
{
    /// <summary>
    /// Parses <paramref name="header"/> for a representation of <paramref name="length"/> bytes.
    /// </summary>
    /// <param name="header">The Range field value, e.g. <c>bytes=0-99, -500</c>.</param>
    /// <param name="length">The representation length in bytes.</param>
    /// <param name="ranges">Receives the satisfiable ranges, in request order, clamped to the length; overlapping or
    /// adjacent ranges are merged (then in ascending order).</param>
    /// <param name="count">Number of ranges written to <paramref name="ranges"/>.</param>
    /// <returns><see cref="RangeRequestKind.Full"/> when the header must be ignored (malformed, another unit, or more
    /// range specs than <paramref name="ranges"/> holds, counting unsatisfiable ones), else whether any range is satisfiable.</returns>
    public static RangeRequestKind Parse(ReadOnlySpan<char> header, long length, Span<ByteRange> ranges, out int count)
    {
        count = 0;
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        header = Trim(header);
        const string Unit = "bytes=";
        if (!header.StartsWith(Unit, StringComparison.OrdinalIgnoreCase)) return RangeRequestKind.Full;
        var set = header[Unit.Length..];
        var specs = 0;
        var satisfiableOverlap = false;
        while (true)
        {
            var comma = set.IndexOf(',');
            var element = Trim(comma < 0 ? set : set[..comma]);
            if (!element.IsEmpty)
            {
                if (++specs > ranges.Length) { count = 0; return RangeRequestKind.Full; }
                if (!TryParseSpec(element, out var first, out var last, out var suffix)) { count = 0; return RangeRequestKind.Full; }
                if (TryResolve(first, last, suffix, length, out var range))
                {
                    for (var i = 0; i < count && !satisfiableOverlap; i++)
                    {
                        satisfiableOverlap = range.First <= ranges[i].Last + 1 && ranges[i].First <= range.Last + 1;
                    }
                    ranges[count++] = range;
                }
            }
            if (comma < 0) break;
            set = set[(comma + 1)..];
        }
        if (specs == 0) return RangeRequestKind.Full; // "bytes=" or "bytes= , ": no range-spec, invalid
        if (count == 0) return RangeRequestKind.Unsatisfiable;
        if (satisfiableOverlap) count = Coalesce(ranges[..count]);
        return RangeRequestKind.Ranges;
    }

    /// <summary>Sorts and merges overlapping or adjacent ranges in place; returns the new count.</summary>
    internal static int Coalesce(Span<ByteRange> ranges)
    {
        ranges.Sort(static (a, b) => a.First.CompareTo(b.First));
        var n = 0;
        foreach (var r in ranges)
        {
            if (n > 0 && r.First <= ranges[n - 1].Last + 1)
            {
                ranges[n - 1] = ranges[n - 1] with { Last = Math.Max(ranges[n - 1].Last, r.Last) };
            }
            else
            {
                ranges[n++] = r;
            }
        }
        return n;
    }

    // int-range = first-pos "-" [ last-pos ] ; suffix-range = "-" suffix-length. -1 marks an absent position.
    private static bool TryParseSpec(ReadOnlySpan<char> spec, out long first, out long last, out bool suffix)
    {
        first = last = -1;
        var dash = spec.IndexOf('-');
        suffix = dash == 0;
        if (dash < 0) return false;
        var left = spec[..dash];
        var right = spec[(dash + 1)..];
        if (suffix)
        {
            return TryParseDigits(right, out last); // suffix length in 'last'
        }
        if (!TryParseDigits(left, out first)) return false;
        if (right.IsEmpty) return true;
        return TryParseDigits(right, out last) && last >= first;
    }

    private static bool TryResolve(long first, long last, bool suffix, long length, out ByteRange range)
    {
        range = default;
        if (suffix)
        {
            if (last == 0 || length == 0) return false;
            range = new ByteRange(length - Math.Min(last, length), length - 1);
            return true;
        }
        if (first >= length) return false;
        range = new ByteRange(first, last < 0 || last >= length ? length - 1 : last);
        return true;
    }

    /// <summary>1*DIGIT; values past <see cref="long.MaxValue"/> saturate (they are past any length anyway).</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty) return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return false;
            var d = c - '0';
            value = value > (long.MaxValue - d) / 10 ? long.MaxValue : value * 10 + d;
        }
        return true;
    }

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> s) => s.Trim(" \t");
}
