using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WebTorrent.Http.Serving;

namespace WebTorrent.Http.Tests;

public sealed class ByteRangeParserTests
{
    private static (RangeRequestKind Kind, ByteRange[] Ranges) Parse(string header, long length, int max = 16)
    {
        var ranges = new ByteRange[max];
        var kind = ByteRangeParser.Parse(header, length, ranges, out var count);
        return (kind, ranges[..count]);
    }

    [Theory]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=900-", 900, 999)]
    [InlineData("bytes=-100", 900, 999)]
    [InlineData("bytes=-5000", 0, 999)]
    [InlineData("bytes=500-5000", 500, 999)]
    [InlineData("BYTES=1-2", 1, 2)]
    [InlineData("  bytes=1-2  ", 1, 2)]
    [InlineData("bytes=1-2, ", 1, 2)]
    [InlineData("bytes=,1-2", 1, 2)]
    [InlineData("bytes=1-2,2000-3000", 1, 2)]
    [InlineData("bytes=0-99999999999999999999999999", 0, 999)]
    [InlineData("bytes=-99999999999999999999999999", 0, 999)]
    public void Single_satisfiable_range(string header, long first, long last)
    {
        var (kind, ranges) = Parse(header, 1000);
        Assert.Equal(RangeRequestKind.Ranges, kind);
        Assert.Equal([new ByteRange(first, last)], ranges);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bytes")]
    [InlineData("bytes=")]
    [InlineData("bytes= , ")]
    [InlineData("items=0-1")]
    [InlineData("bytes=5-4")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=1")]
    [InlineData("bytes=--1")]
    [InlineData("bytes=1-2-3")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=1 -2")]
    [InlineData("bytes=-")]
    [InlineData("bytes=0-1,x")]
    public void Malformed_headers_are_ignored(string header)
    {
        var (kind, ranges) = Parse(header, 1000);
        Assert.Equal(RangeRequestKind.Full, kind);
        Assert.Empty(ranges);
    }

    [Theory]
    [InlineData("bytes=1000-", 1000)]
    [InlineData("bytes=1000-2000", 1000)]
    [InlineData("bytes=-0", 1000)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-1", 0)]
    [InlineData("bytes=99999999999999999999-", 1000)]
    [InlineData("bytes=5000-6000, 7000-", 1000)]
    public void Unsatisfiable(string header, long length)
    {
        var (kind, ranges) = Parse(header, length);
        Assert.Equal(RangeRequestKind.Unsatisfiable, kind);
        Assert.Empty(ranges);
    }

    [Fact]
    public void Several_ranges_keep_their_order_when_disjoint()
    {
        var (kind, ranges) = Parse("bytes=500-599, 0-9, -10", 1000);
        Assert.Equal(RangeRequestKind.Ranges, kind);
        Assert.Equal([new ByteRange(500, 599), new ByteRange(0, 9), new ByteRange(990, 999)], ranges);
    }

    [Fact]
    public void Overlapping_and_adjacent_ranges_are_merged()
    {
        var (kind, ranges) = Parse("bytes=50-99,0-49,40-60,200-300,301-310,0-0", 1000);
        Assert.Equal(RangeRequestKind.Ranges, kind);
        Assert.Equal([new ByteRange(0, 99), new ByteRange(200, 310)], ranges);
    }

    [Fact]
    public void More_ranges_than_the_limit_are_answered_with_the_whole_file()
    {
        Assert.Equal(RangeRequestKind.Ranges, Parse("bytes=0-0,2-2,4-4", 1000, max: 3).Kind);
        Assert.Equal(RangeRequestKind.Full, Parse("bytes=0-0,2-2,4-4,6-6", 1000, max: 3).Kind);
        Assert.Equal(RangeRequestKind.Full, Parse("bytes=5000-,6000-,7000-,8000-", 1000, max: 3).Kind); // unsatisfiable specs count too
    }

    [Property(MaxTest = 500)]
    public Property Any_header_yields_ranges_inside_the_file(NonNegativeInt lengthSeed, string header)
    {
        var length = lengthSeed.Get % 5000;
        var (kind, ranges) = Parse("bytes=" + header, length);
        var inside = ranges.All(r => r.First >= 0 && r.First <= r.Last && r.Last < length);
        var consistent = kind == RangeRequestKind.Ranges ? ranges.Length > 0 : ranges.Length == 0;
        return (inside && consistent).ToProperty();
    }

    [Property(MaxTest = 500)]
    public Property Int_range_matches_the_model(NonNegativeInt a, NonNegativeInt b, PositiveInt len)
    {
        long first = a.Get % 3000, last = b.Get % 3000, length = len.Get % 2000 + 1;
        var (kind, ranges) = Parse($"bytes={first}-{last}", length);
        if (last < first) return (kind == RangeRequestKind.Full).ToProperty();
        if (first >= length) return (kind == RangeRequestKind.Unsatisfiable).ToProperty();
        return (kind == RangeRequestKind.Ranges && ranges.Single() == new ByteRange(first, Math.Min(last, length - 1))).ToProperty();
    }

    [Property(MaxTest = 300)]
    public Property Suffix_range_matches_the_model(NonNegativeInt n, NonNegativeInt len)
    {
        long suffix = n.Get % 3000, length = len.Get % 2000;
        var (kind, ranges) = Parse($"bytes=-{suffix}", length);
        if (suffix == 0 || length == 0) return (kind == RangeRequestKind.Unsatisfiable).ToProperty();
        return (kind == RangeRequestKind.Ranges && ranges.Single() == new ByteRange(length - Math.Min(suffix, length), length - 1)).ToProperty();
    }
}
