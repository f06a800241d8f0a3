using System.Text;
using Bencode;

namespace WebTorrent.Metainfo.Tests;

public class ParseTests
{
    [Fact]
    public void Single_file_torrent_exposes_every_field()
    {
        var info = new BencodeDictionary
        {
            ["name"] = "movie.mp4",
            ["piece length"] = 16384,
            ["length"] = 40000,
            ["pieces"] = new byte[60],
            ["private"] = 1,
        };
        var bytes = TestTorrents.Torrent(info, root =>
        {
            root["announce"] = "udp://a.example:80";
            root["announce-list"] = new BencodeList
            {
                new BencodeList { "udp://a.example:80", "wss://b.example" },
                new BencodeList { "http://c.example/announce", "wss://b.example" },
            };
            root["url-list"] = "https://seed.example/movie.mp4";
            root["comment"] = "hello";
            root["created by"] = "tests";
            root["creation date"] = 1_700_000_000;
        });

        var torrent = TorrentMetainfo.Parse(bytes);

        Assert.Equal(TorrentVersion.V1, torrent.Version);
        Assert.Equal("movie.mp4", torrent.Name);
        Assert.True(torrent.IsSingleFile);
        Assert.Equal(40000, torrent.TotalLength);
        Assert.Equal(3, torrent.PieceCount);
        Assert.Equal(40000 - 32768, torrent.LastPieceLength);
        Assert.Equal(7232, torrent.GetPieceSize(2));
        Assert.True(torrent.IsPrivate);
        Assert.Equal("hello", torrent.Comment);
        Assert.Equal("tests", torrent.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), torrent.CreationDate);
        Assert.Equal(["udp://a.example:80", "wss://b.example", "http://c.example/announce"], torrent.Trackers);
        Assert.Equal(2, torrent.AnnounceList.Count);
        Assert.Equal(["https://seed.example/movie.mp4"], torrent.UrlList);
        var file = Assert.Single(torrent.Files);
        Assert.Equal("movie.mp4", file.Path);
        Assert.Equal(0, file.Offset);
        Assert.Null(torrent.InfoHashV2);
        Assert.Equal(Convert.ToHexStringLower(TestTorrents.Sha1(info.ToArray())), torrent.InfoHash.ToHex());
        Assert.True(torrent.InfoBytes.Span.SequenceEqual(info.ToArray()));
    }

    [Fact]
    public void Multi_file_paths_start_with_the_torrent_name_and_offsets_accumulate()
    {
        var info = TestTorrents.MultiFileInfo("album", (["cd1", "01.flac"], 10), (["cover.jpg"], 20000), (["cd2", "01.flac"], 5));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info));
        Assert.False(torrent.IsSingleFile);
        Assert.Equal(["album/cd1/01.flac", "album/cover.jpg", "album/cd2/01.flac"], torrent.Files.Select(f => f.Path));
        Assert.Equal([0L, 10, 20010], torrent.Files.Select(f => f.Offset));
        Assert.Equal(20015, torrent.TotalLength);
        Assert.Equal(["album", "cd1", "01.flac"], torrent.Files[0].PathSegments);
        Assert.Equal("01.flac", torrent.Files[2].Name);
    }

    [Fact]
    public void Utf8_variants_of_name_and_path_win()
    {
        var info = TestTorrents.MultiFileInfo("legacy", (["a"], 1));
        info["name.utf-8"] = "日本語";
        ((BencodeDictionary)((BencodeList)info["files"])[0]).Set("path.utf-8", new BencodeList { "ファイル" });
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info));
        Assert.Equal("日本語", torrent.Name);
        Assert.Equal("日本語/ファイル", torrent.Files[0].Path);
    }

    [Fact]
    public void Info_hash_is_over_the_raw_bytes_even_when_not_canonical()
    {
        // Keys out of order: re-encoding would sort them and change the hash.
        var infoText = "d12:piece lengthi16384e4:name1:a6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaae";
        var torrentBytes = Encoding.Latin1.GetBytes("d4:info" + infoText + "e");
        var torrent = TorrentMetainfo.Parse(torrentBytes);
        Assert.Equal(Convert.ToHexStringLower(TestTorrents.Sha1(Encoding.Latin1.GetBytes(infoText))), torrent.InfoHash.ToHex());
        Assert.NotEqual(Convert.ToHexStringLower(TestTorrents.Sha1(torrent.Info.ToArray())), torrent.InfoHash.ToHex());
    }

    [Fact]
    public void Strict_bencode_option_rejects_unsorted_keys()
    {
        var torrentBytes = Encoding.Latin1.GetBytes("d4:infod12:piece lengthi16384e4:name1:a6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee");
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(torrentBytes, new TorrentParseOptions { Bencode = BencodeReaderOptions.Default }));
        Assert.IsType<BencodeException>(ex.InnerException);
    }

    [Fact]
    public void Url_list_and_announce_list_variants()
    {
        var info = TestTorrents.MultiFileInfo("x", (["a"], 1));
        var empty = TorrentMetainfo.Parse(TestTorrents.Torrent(info, r => { r["url-list"] = ""; r["announce"] = "http://t.example/a"; }));
        Assert.Empty(empty.UrlList);
        Assert.Equal(["http://t.example/a"], empty.Trackers);
        var list = TorrentMetainfo.Parse(TestTorrents.Torrent(info, r => r["url-list"] = new BencodeList { "http://a/", "http://a/", "http://b/" }));
        Assert.Equal(["http://a/", "http://b/"], list.UrlList);
        Assert.Empty(list.Trackers);
    }

    [Theory]
    [InlineData(1_700_000_000_000L, 1_700_000_000L)]
    [InlineData(0L, 0L)]
    public void Creation_date_in_seconds_or_milliseconds(long stored, long expectedSeconds)
    {
        var info = TestTorrents.MultiFileInfo("x", (["a"], 1));
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info, r => r["creation date"] = stored));
        Assert.Equal(expectedSeconds, torrent.CreationDate!.Value.ToUnixTimeSeconds());
    }

    public static TheoryData<string, string> BrokenTorrents => new()
    {
        { "d8:announce3:abce", "info" },
        { "d4:info3:abce", "info" },
        { "d4:infod12:piece lengthi16384e6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.name" },
        { "d4:infod4:name1:a6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.piece length" },
        { "d4:infod6:lengthi1e4:name1:a12:piece lengthi0e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.piece length" },
        { "d4:infod4:name1:a12:piece lengthi16384eee", "info.pieces" },
        { "d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces19:aaaaaaaaaaaaaaaaaaaee", "info.pieces" },
        { "d4:infod6:lengthi99999e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.pieces" },
        { "d4:infod6:lengthi-1e4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.length" },
        { "d4:infod4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.length" },
        { "d4:infod5:filesle4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files" },
        { "d4:infod5:filesld6:lengthi1eee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.files[0].path" },
        { "d4:infod5:filesld6:lengthi1e4:pathleee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "info.files[0].path" },
        { "d4:infod12:meta versioni3e4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.meta version" },
        { "d4:infod12:meta versioni2e4:name1:a12:piece lengthi16384eee", "info.file tree" },
        { "d4:infod", "" },
        { "", "" },
        { "le", "" },
    };

    [Theory]
    [MemberData(nameof(BrokenTorrents))]
    public void Broken_torrents_name_the_field(string torrent, string field)
    {
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(Encoding.Latin1.GetBytes(torrent)));
        Assert.True(field == ex.Field, ex.Message);
    }

    [Fact]
    public void Limits_are_enforced()
    {
        var info = TestTorrents.MultiFileInfo("x", (["a"], 1), (["b"], 1), (["c"], 1));
        var bytes = TestTorrents.Torrent(info);
        Assert.Contains("limit", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(bytes, new TorrentParseOptions { MaxFileCount = 2 })).Message);
        Assert.Contains("limit", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(bytes, new TorrentParseOptions { MaxInfoSize = 50 })).Message);
        Assert.Contains("limit", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(bytes, new TorrentParseOptions { MaxTorrentSize = 50 })).Message);
        Assert.Contains("out of range", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(bytes, new TorrentParseOptions { MaxPieceLength = 8192 })).Message);
        var deep = TestTorrents.MultiFileInfo("x", (Enumerable.Repeat("d", 10).ToArray(), 1));
        Assert.Contains("limit", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(deep), new TorrentParseOptions { MaxPathDepth = 5 })).Message);
        var longPath = TestTorrents.MultiFileInfo("x", ([new string('a', 300), new string('b', 300)], 1));
        Assert.Contains("limit", Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(longPath), new TorrentParseOptions { MaxPathLength = 500 })).Message);
    }

    [Fact]
    public void Parse_info_alone_gives_the_same_torrent()
    {
        var info = TestTorrents.MultiFileInfo("x", (["a"], 100), (["b"], 30000));
        var full = TorrentMetainfo.Parse(TestTorrents.Torrent(info, r => r["announce"] = "http://t/"));
        var fromInfo = TorrentMetainfo.ParseInfo(full.InfoBytes);
        Assert.Equal(full.InfoHash, fromInfo.InfoHash);
        Assert.Equal(full.Files.Select(f => f.Path), fromInfo.Files.Select(f => f.Path));
        Assert.Empty(fromInfo.Trackers);
        Assert.Equal(full.InfoHash, TorrentMetainfo.Parse(fromInfo.TorrentBytes).InfoHash);
    }

    [Fact]
    public void Bep47_attributes_and_padding_files()
    {
        var info = TestTorrents.MultiFileInfo("x", (["a"], 100), ([".pad", "16284"], 16284), (["b"], 1));
        var files = (BencodeList)info["files"];
        ((BencodeDictionary)files[1])["attr"] = "p";
        ((BencodeDictionary)files[2])["attr"] = "xh";
        var torrent = TorrentMetainfo.Parse(TestTorrents.Torrent(info));
        Assert.True(torrent.Files[1].IsPadding);
        Assert.Equal(TorrentFileAttributes.Executable | TorrentFileAttributes.Hidden, torrent.Files[2].Attributes);
        Assert.Equal(101, torrent.ContentLength);
        Assert.Equal(16385, torrent.TotalLength);
        Assert.Equal(16384, torrent.Files[2].Offset);
    }

    [Fact]
    public async Task Load_reads_files()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metainfo-{Guid.NewGuid():N}.torrent");
        try
        {
            var bytes = TestTorrents.Torrent(TestTorrents.MultiFileInfo("x", (["a"], 1)));
            File.WriteAllBytes(path, bytes);
            Assert.Equal(TorrentMetainfo.Parse(bytes).InfoHash, TorrentMetainfo.Load(path).InfoHash);
            Assert.Equal(TorrentMetainfo.Parse(bytes).InfoHash, (await TorrentMetainfo.LoadAsync(path)).InfoHash);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
