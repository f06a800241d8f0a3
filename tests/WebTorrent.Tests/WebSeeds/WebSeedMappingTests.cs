using FsCheck.Xunit;
using WebTorrent.WebSeeds;

namespace WebTorrent.Tests.WebSeeds;

/// <summary>How a read maps onto per-file HTTP ranges, over random multi-file layouts with padding files.</summary>
public class WebSeedMappingTests
{
    [Property(MaxTest = 300)]
    public void Ranges_cover_exactly_the_non_padding_bytes_of_a_read(byte[] lengths, byte[] paddingFlags, int start, int size)
    {
        if (lengths is null || lengths.Length == 0) return;
        var files = lengths.Take(12).Select((l, i) => new TestTorrents.FileSpec($"d{i % 3}/f{i}.bin", l * 37L, Padding: paddingFlags is not null && i < paddingFlags.Length && paddingFlags[i] % 3 == 0)).ToArray();
        var total = files.Sum(f => f.Length);
        if (total == 0) return;
        var torrent = TestTorrents.MultiFile("name", 64, files);
        using var seed = new WebSeedClient(torrent, new Uri("http://seed.example/base/"));
        var offset = (long)((uint)start % total);
        var length = (int)Math.Max(1, (uint)size % (total - offset + 1));
        if (offset + length > total) return;

        var ranges = seed.MapRange(offset, length);
        var covered = new bool[length];
        foreach (var range in ranges)
        {
            var file = torrent.Files[range.FileIndex];
            Assert.False(file.IsPadding);
            Assert.Equal(file.Length, range.FileLength);
            Assert.InRange(range.Start, 0, file.Length - 1);
            Assert.InRange(range.Start + range.Length, 1, file.Length);
            Assert.Equal(file.Offset + range.Start - offset, range.DestinationOffset);
            Assert.Equal(seed.GetFileUri(range.FileIndex), range.Uri);
            for (var i = 0; i < range.Length; i++)
            {
                Assert.False(covered[range.DestinationOffset + i], "a byte is requested twice");
                covered[range.DestinationOffset + i] = true;
            }
        }
        for (var i = 0; i < length; i++)
        {
            var at = offset + i;
            var owner = torrent.Files.First(f => at >= f.Offset && at < f.Offset + f.Length);
            Assert.Equal(!owner.IsPadding, covered[i]);
        }
    }

    [Fact]
    public void File_urls_join_the_base_the_name_and_the_escaped_path()
    {
        var torrent = TestTorrents.MultiFile("My Torrent", 64, new("a b/c?d#e.txt", 10), new("x/%y", 10));
        using var withSlash = new WebSeedClient(torrent, new Uri("http://seed.example/files/"));
        using var withoutSlash = new WebSeedClient(torrent, new Uri("http://seed.example/files"));
        Assert.Equal("http://seed.example/files/My%20Torrent/a%20b/c%3Fd%23e.txt", withSlash.GetFileUri(0).AbsoluteUri);
        Assert.Equal("http://seed.example/files/My%20Torrent/x/%25y", withSlash.GetFileUri(1).AbsoluteUri);
        Assert.Equal(withSlash.GetFileUri(1), withoutSlash.GetFileUri(1));
    }
}
