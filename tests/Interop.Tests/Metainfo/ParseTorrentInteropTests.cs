using System.Text.Json;
using WebTorrent.Metainfo;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Metainfo;

/// <summary>
/// Our parser and creator against npm parse-torrent and create-torrent run by node in the same test
/// (tests/interop/metainfo-node.mjs): every webtorrent-fixtures torrent, torrents we create, and torrents
/// create-torrent makes from the same files.
/// </summary>
public sealed class ParseTorrentInteropTests : IDisposable
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"metainfo-interop-{Guid.NewGuid():N}"));

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Every_webtorrent_fixture_parses_as_parse_torrent_reports()
    {
        var reports = await RunNodeAsync("fixtures");
        Assert.True(reports.Count >= 9, $"expected the webtorrent-fixtures torrents, got {reports.Count}");
        var fixtures = RepoPaths.NodeModule(Path.Combine("webtorrent-fixtures", "fixtures"));
        foreach (var report in reports)
        {
            var file = report.GetProperty("file").GetString()!;
            var bytes = await File.ReadAllBytesAsync(Path.Combine(fixtures, file));
            if (!report.GetProperty("ok").GetBoolean())
            {
                // parse-torrent refuses it (corrupt.torrent): so must we, with our typed exception.
                Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(bytes));
                continue;
            }
            AssertSame(report, TorrentMetainfo.Parse(bytes), file);
        }
        Assert.Contains(reports, r => !r.GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 16385)]
    [InlineData(4, 1_000_001)]
    [InlineData(5, 24 * 1024 * 1024 + 7)]
    public async Task Single_file_created_by_us_and_by_create_torrent_agree(int seed, int size)
    {
        var path = Path.Combine(_work.FullName, $"file-{seed}.bin");
        await File.WriteAllBytesAsync(path, Content(size, seed));

        var ours = await TorrentCreator.CreateFromPathAsync(path, new TorrentCreationOptions
        {
            AnnounceList = [["wss://tracker.example"], ["udp://tracker.example:6969", "http://tracker.example/announce"]],
            UrlList = ["https://seed.example/file.bin"],
            Comment = "interop",
            CreatedBy = "WebTorrent.Metainfo",
            CreationDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        });
        var ourFile = Path.Combine(_work.FullName, $"ours-{seed}.torrent");
        await ours.SaveAsync(ourFile);
        AssertSame((await RunNodeAsync("parse", ourFile)).Single(), ours, "ours");

        var theirs = (await RunNodeAsync("create", Path.Combine(_work.FullName, $"theirs-{seed}.torrent"), "{}", path)).Single();
        Assert.Equal(ours.InfoHash.ToHex(), theirs.GetProperty("infoHash").GetString());
        Assert.Equal(ours.PieceLength, theirs.GetProperty("pieceLength").GetInt32());
        AssertSame(theirs, TorrentMetainfo.Load(Path.Combine(_work.FullName, $"theirs-{seed}.torrent")), "theirs");
    }

    [Fact]
    public async Task Folder_created_by_us_and_by_create_torrent_agree()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, "My Folder"));
        Directory.CreateDirectory(Path.Combine(folder.FullName, "sub dir", "deeper"));
        var sizes = new (string Path, int Size)[]
        {
            ("b.bin", 16384), ("a.txt", 5), ("sub dir/deeper/z.dat", 40_000), ("sub dir/ü-unicode.bin", 333), ("Zed.bin", 70_001), ("empty.bin", 0),
        };
        var seed = 10;
        foreach (var (relative, size) in sizes) await File.WriteAllBytesAsync(Path.Combine(folder.FullName, relative), Content(size, seed++));
        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, ".hidden"), Content(10, 99));

        var ours = await TorrentCreator.CreateFromPathAsync(folder.FullName, new TorrentCreationOptions { Private = true });
        var ourFile = Path.Combine(_work.FullName, "ours-folder.torrent");
        await ours.SaveAsync(ourFile);
        AssertSame((await RunNodeAsync("parse", ourFile)).Single(), ours, "ours");

        var theirs = (await RunNodeAsync("create", Path.Combine(_work.FullName, "theirs-folder.torrent"), "{\"private\":true}", folder.FullName)).Single();
        Assert.Equal(ours.InfoHash.ToHex(), theirs.GetProperty("infoHash").GetString());
    }

    [Fact]
    public async Task Hybrid_torrent_created_by_us_is_read_by_parse_torrent_with_our_v1_hash()
    {
        var files = new[] { ("pack/a.bin", 20_000), ("pack/b.bin", 1), ("pack/c/d.bin", 50_000) };
        var seed = 20;
        var ours = await TorrentCreator.CreateAsync(files.Select(f => TorrentSourceFile.FromBytes(f.Item1, Content(f.Item2, seed++))).ToList(),
            new TorrentCreationOptions { Version = TorrentVersion.Hybrid, UrlList = ["https://seed.example/"] });
        var ourFile = Path.Combine(_work.FullName, "hybrid.torrent");
        await ours.SaveAsync(ourFile);
        var report = (await RunNodeAsync("parse", ourFile)).Single();
        // parse-torrent knows nothing of v2 or padding: it sees the v1 part, padding files included.
        AssertSame(report, ours, "hybrid");
        Assert.Contains(ours.Files, f => f.IsPadding);
    }

    private static void AssertSame(JsonElement report, TorrentMetainfo torrent, string what)
    {
        Assert.True(report.GetProperty("ok").GetBoolean(), $"{what}: parse-torrent failed: {report}");
        Assert.Equal(report.GetProperty("infoHash").GetString(), torrent.InfoHash.ToHex());
        Assert.Equal(report.GetProperty("name").GetString(), torrent.Name);
        Assert.Equal(report.GetProperty("length").GetInt64(), torrent.TotalLength);
        Assert.Equal(report.GetProperty("pieceLength").GetInt32(), torrent.PieceLength);
        Assert.Equal(report.GetProperty("pieceCount").GetInt32(), torrent.PieceCount);
        Assert.Equal(report.GetProperty("lastPieceLength").GetInt32(), torrent.LastPieceLength);
        Assert.Equal(report.GetProperty("pieces").GetString(), Convert.ToHexStringLower(torrent.PieceHashes.Span));
        var files = report.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(files.Count, torrent.Files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i].GetProperty("path").GetString(), torrent.Files[i].Path);
            Assert.Equal(files[i].GetProperty("length").GetInt64(), torrent.Files[i].Length);
            Assert.Equal(files[i].GetProperty("offset").GetInt64(), torrent.Files[i].Offset);
        }
        Assert.Equal(report.GetProperty("announce").EnumerateArray().Select(e => e.GetString()!), torrent.Trackers);
        Assert.Equal(report.GetProperty("urlList").EnumerateArray().Select(e => e.GetString()!), torrent.UrlList);
        Assert.Equal(report.GetProperty("private").GetBoolean(), torrent.IsPrivate);
        Assert.Equal(report.GetProperty("createdBy").GetString(), torrent.CreatedBy);
        Assert.Equal(report.GetProperty("comment").GetString(), torrent.Comment);
        var created = report.GetProperty("created");
        if (created.ValueKind == JsonValueKind.Number && created.GetInt64() < 253402300799)
            Assert.Equal(created.GetInt64(), torrent.CreationDate?.ToUnixTimeSeconds());
    }

    private static async Task<List<JsonElement>> RunNodeAsync(params string[] arguments)
    {
        await using var node = ExternalProcess.StartNode("metainfo-node.mjs", arguments);
        var exit = await node.WaitForExitAsync(NodeTimeout);
        Assert.True(exit == 0, $"node metainfo-node.mjs {string.Join(' ', arguments)} exited with {exit}: {node.StandardError}");
        // Exit can be observed before the last stdout line is dispatched: wait for the stream to drain.
        await Task.Delay(100);
        return node.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    private static byte[] Content(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
