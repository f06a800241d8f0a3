using Bencode;

namespace WebTorrent.Metainfo.Tests;

/// <summary>
/// Audit finding 8 (issue 18): two files of one torrent that are distinct byte strings but the same file on Windows
/// or a case-insensitive file system (case only, trailing dots or spaces), or a file where another needs a folder,
/// would overwrite each other. Rejected by default; renamed apart under <see cref="UnsafePathPolicy.Clean"/>.
/// </summary>
public class PathCollisionTests
{
    public static TheoryData<string[], string[]> CollidingPairs => new()
    {
        { ["readme.txt"], ["README.TXT"] },
        { ["dir", "a"], ["DIR", "A"] },
        { ["a"], ["a."] },
        { ["a"], ["a "] },
        { ["a"], ["A. ."] },
        { ["a"], ["a"] },
        { ["x"], ["X", "y"] },
        { ["x", "y"], ["X"] },
        { ["x."], ["x", "y"] },
        { ["Ünïcode"], ["üNÏCODE"] },
    };

    [Theory]
    [MemberData(nameof(CollidingPairs))]
    public void Files_that_are_one_file_on_windows_are_rejected_by_default(string[] first, string[] second)
    {
        var info = TestTorrents.MultiFileInfo("t", (first, 1), (["other"], 1), (second, 1));
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
        Assert.Equal("info.files[2].path", ex.Field);
        Assert.Contains("collides", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CollidingPairs))]
    public void Files_that_are_one_file_on_windows_are_renamed_apart_on_request(string[] first, string[] second)
    {
        var info = TestTorrents.MultiFileInfo("t", (first, 1), (["other"], 1), (second, 1));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
        Assert.Equal(3, torrent.Files.Count);
        Assert.Equal(["t", .. first], torrent.Files[0].PathSegments);
        AssertNoCollisions(torrent);
        Assert.All(torrent.Files, f => Assert.All(f.PathSegments, s => Assert.True(TorrentPath.IsSafeSegment(s), s)));
    }

    [Fact]
    public void Renaming_skips_names_the_torrent_already_uses()
    {
        var info = TestTorrents.MultiFileInfo("t", (["a.txt"], 1), (["a~2.txt"], 1), (["A.TXT"], 1), (["a.txt"], 1));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
        Assert.Equal(["t/a.txt", "t/a~2.txt", "t/A~3.TXT", "t/a~4.txt"], torrent.Files.Select(f => f.Path));
    }

    [Fact]
    public void Folders_spelt_differently_holding_different_files_are_accepted()
    {
        // On Windows both land in one folder, which is harmless: no file overwrites another.
        var info = TestTorrents.MultiFileInfo("t", (["Docs", "a"], 1), (["docs", "b"], 1), (["docs.", "c"], 1));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info));
        Assert.Equal(["t/Docs/a", "t/docs/b", "t/docs./c"], torrent.Files.Select(f => f.Path));
    }

    [Fact]
    public void Padding_files_may_share_a_name()
    {
        // BEP 47 padding files are never written, and creators name them after their size: repeats are normal.
        var info = TestTorrents.MultiFileInfo("t", (["a"], 1), ([".pad", "16383"], 16383), (["b"], 1), ([".pad", "16383"], 16383), (["c"], 1));
        foreach (var entry in info.Get<BencodeList>("files")!.OfType<BencodeDictionary>().Where(e => e.Get<BencodeList>("path")!.Count == 2))
            entry["attr"] = "p";
        Assert.Equal(5, TorrentMetainfo.Parse(TestTorrents.Torrent(info)).Files.Count);
    }

    [Fact]
    public void Many_files_with_one_name_are_renamed_in_linear_time()
    {
        // A counter per name, not a scan from ~2 each time: 20,000 copies of one name stay cheap.
        var files = Enumerable.Range(0, 20_000).Select(_ => (new[] { "same" }, 0L)).ToArray();
        var info = TestTorrents.MultiFileInfo("t", files);
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
        AssertNoCollisions(torrent);
        Assert.Equal("t/same~20000", torrent.Files[^1].Path);
    }

    private static void AssertNoCollisions(TorrentMetainfo torrent)
    {
        static string Fold(IEnumerable<string> segments) =>
            string.Join('/', segments.Select(s => s.TrimEnd('.', ' ').ToUpperInvariant()));
        var files = torrent.Files.Select(f => Fold(f.PathSegments)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        var folders = torrent.Files.SelectMany(f => Enumerable.Range(1, f.PathSegments.Count - 1).Select(n => Fold(f.PathSegments.Take(n)))).ToHashSet();
        Assert.DoesNotContain(files, folders.Contains);
    }
}
