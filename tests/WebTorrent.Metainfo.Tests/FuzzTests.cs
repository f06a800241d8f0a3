using Bencode;

namespace WebTorrent.Metainfo.Tests;

public class FuzzTests
{
    [Fact]
    public void Random_bytes_only_ever_raise_InvalidTorrentException()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = (byte)'d';
            AssertOnlyTypedFailure(bytes);
        }
    }

    [Fact]
    public async Task Mutated_valid_torrents_only_ever_raise_InvalidTorrentException()
    {
        var random = new Random(42);
        var seeds = new List<byte[]>
        {
            (await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("d/a", TestTorrents.Content(40_000, 1)), TorrentSourceFile.FromBytes("d/b/c", TestTorrents.Content(3, 2))],
                new TorrentCreationOptions { Version = TorrentVersion.Hybrid, AnnounceList = [["udp://x:1"]], UrlList = ["http://w/"] })).TorrentBytes.ToArray(),
            (await TorrentCreator.CreateAsync(new MemoryStream(TestTorrents.Content(50_000, 3)), "single.bin")).TorrentBytes.ToArray(),
            (await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("v2/x", TestTorrents.Content(70_000, 4))], new TorrentCreationOptions { Version = TorrentVersion.V2 })).TorrentBytes.ToArray(),
        };
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Count].Clone();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                if (bytes.Length == 0) break;
                switch (random.Next(3))
                {
                    case 0: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                    case 1: bytes[random.Next(bytes.Length)] = (byte)"0123456789:idle-"[random.Next(16)]; break;
                    default: bytes = bytes[..random.Next(bytes.Length)]; break;
                }
            }
            if (AssertOnlyTypedFailure(bytes)) parsed++;
        }
        Assert.InRange(parsed, 1, 20_000);
    }

    private static bool AssertOnlyTypedFailure(byte[] bytes)
    {
        try
        {
            var torrent = TorrentMetainfo.Parse(bytes, new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Reject });
            Assert.False(torrent.InfoHash.IsEmpty);
            foreach (var file in torrent.Files) Assert.All(file.PathSegments, s => Assert.True(TorrentPath.IsSafeSegment(s)));
            return true;
        }
        catch (InvalidTorrentException)
        {
            return false;
        }
    }
}
