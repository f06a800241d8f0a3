using Bencode;

namespace WebTorrent.Metainfo.Tests;

public class PathSafetyTests
{
    public static TheoryData<string[]> HostilePaths => new()
    {
        new[] { "..", "..", "etc", "passwd" },
        new[] { "a", "..", "..", "b" },
        new[] { "." },
        new[] { "/etc", "passwd" },
        new[] { "a/../../b" },
        new[] { "a\\..\\..\\b" },
        new[] { "C:", "Windows" },
        new[] { "C:\\Windows" },
        new[] { "file:stream" },
        new[] { "CON" },
        new[] { "nul.txt" },
        new[] { "com1" },
        new[] { "LPT9.log" },
        new[] { "a\0b" },
        new[] { "line\nbreak" },
        new[] { "" },
        new[] { "a", "", "b" },
        new[] { ".. " },
        new[] { "..." },
    };

    [Theory]
    [MemberData(nameof(HostilePaths))]
    public void Hostile_file_paths_are_rejected_by_default(string[] path)
    {
        var info = TestTorrents.MultiFileInfo("safe", (["ok.txt"], 1), (path, 1));
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
        Assert.Equal("info.files[1].path", ex.Field);
    }

    [Theory]
    [MemberData(nameof(HostilePaths))]
    public void Hostile_file_paths_are_cleaned_on_request_and_stay_inside(string[] path)
    {
        var info = TestTorrents.MultiFileInfo("safe", (["ok.txt"], 1), (path, 1));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
        var download = Path.Combine(Path.GetTempPath(), "download-root");
        foreach (var file in torrent.Files)
        {
            Assert.All(file.PathSegments, s => Assert.True(TorrentPath.IsSafeSegment(s), s));
            var resolved = file.ResolvePath(download);
            Assert.StartsWith(Path.GetFullPath(download) + Path.DirectorySeparatorChar, resolved);
        }
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("/")]
    [InlineData("C:")]
    [InlineData("AUX")]
    [InlineData("")]
    public void Hostile_names_are_rejected(string name)
    {
        var info = TestTorrents.MultiFileInfo("placeholder", (["a"], 1));
        info["name"] = name;
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
        Assert.Equal("info.name", ex.Field);
        var cleaned = TorrentMetainfo.Parse(TestTorrents.Torrent(info), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
        Assert.True(TorrentPath.IsSafeSegment(cleaned.Name));
    }

    [Fact]
    public void Hostile_utf8_name_variant_is_checked_too()
    {
        var info = TestTorrents.MultiFileInfo("fine", (["a"], 1));
        info["name.utf-8"] = "..";
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
    }

    [Fact]
    public void Hostile_v2_file_tree_is_rejected()
    {
        var info = new BencodeDictionary
        {
            ["name"] = "x",
            ["piece length"] = 16384,
            ["meta version"] = 2,
            ["file tree"] = new BencodeDictionary
            {
                [".."] = new BencodeDictionary { ["evil"] = new BencodeDictionary { [""] = new BencodeDictionary { ["length"] = 0 } } },
                ["ok"] = new BencodeDictionary { [""] = new BencodeDictionary { ["length"] = 0 } },
            },
        };
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
    }

    [Theory]
    [InlineData("normal.txt", true)]
    [InlineData(".hidden", true)]
    [InlineData(".pad", true)]
    [InlineData("Star Wars - Episode IV.mkv", true)]
    [InlineData("CONSOLE.txt", true)]
    [InlineData("con.txt", false)]
    [InlineData("a:b", false)]
    [InlineData("tab\there", false)]
    public void Segment_safety(string segment, bool safe) => Assert.Equal(safe, TorrentPath.IsSafeSegment(segment));

    [Theory]
    [InlineData("..", "_")]
    [InlineData("a/b", "a_b")]
    [InlineData("C:", "C_")]
    [InlineData("con", "_con")]
    [InlineData("ok", "ok")]
    public void Cleaning(string segment, string expected) => Assert.Equal(expected, TorrentPath.Clean(segment));

    [Fact]
    public void ResolveUnder_refuses_unsafe_segments()
    {
        var root = Path.Combine(Path.GetTempPath(), "root");
        Assert.Throws<InvalidTorrentException>(() => TorrentPath.ResolveUnder(root, ["..", "x"]));
        Assert.Throws<InvalidTorrentException>(() => TorrentPath.ResolveUnder(root, ["/etc"]));
        Assert.Throws<InvalidTorrentException>(() => TorrentPath.ResolveUnder(root, []));
        Assert.Equal(Path.Combine(Path.GetFullPath(root), "a", "b"), TorrentPath.ResolveUnder(root, ["a", "b"]));
    }

    [Fact]
    public void Symlink_targets_are_sanitised()
    {
        var info = TestTorrents.MultiFileInfo("x", (["link"], 0));
        var entry = (BencodeDictionary)((BencodeList)info["files"])[0];
        entry["attr"] = "l";
        entry["symlink path"] = new BencodeList { "..", "..", "etc" };
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
        entry["symlink path"] = new BencodeList { "target" };
        Assert.Equal(["target"], TorrentMetainfo.Parse(TestTorrents.Torrent(info)).Files[0].SymlinkPath);
    }
}
