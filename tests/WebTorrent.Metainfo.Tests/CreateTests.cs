using System.Security.Cryptography;
using Bencode;

namespace WebTorrent.Metainfo.Tests;

public class CreateTests
{
    [Theory]
    [InlineData(0L, 16384)]
    [InlineData(1000L, 16384)]
    [InlineData(1024L * 1024, 16384)]
    [InlineData(100L * 1024 * 1024, 131072)]
    [InlineData(1024L * 1024 * 1024, 1048576)]
    [InlineData(3L * 1024 * 1024 * 1024, 4194304)]
    [InlineData(10L * 1024 * 1024 * 1024, 4194304)]
    public void Piece_length_is_chosen_as_create_torrent_does(long total, int expected) =>
        Assert.Equal(expected, TorrentCreator.ChoosePieceLength(total));

    [Fact]
    public async Task Single_file_v1_pieces_are_sha1_of_each_piece()
    {
        var content = TestTorrents.Content(100_000, 1);
        var torrent = await TorrentCreator.CreateAsync(new MemoryStream(content), "data.bin",
            new TorrentCreationOptions { AnnounceList = [["wss://tracker.example"], ["udp://t.example:1337"]], UrlList = ["https://ws.example/data.bin"], Comment = "c", CreatedBy = "WebTorrent.Metainfo", CreationDate = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000) });
        Assert.True(torrent.IsSingleFile);
        Assert.Equal("data.bin", torrent.Name);
        Assert.Equal(16384, torrent.PieceLength);
        Assert.Equal(7, torrent.PieceCount);
        for (var i = 0; i < torrent.PieceCount; i++)
        {
            var start = i * 16384;
            var piece = content.AsSpan(start, Math.Min(16384, content.Length - start));
            Assert.True(torrent.GetPieceHash(i).SequenceEqual(TestTorrents.Sha1(piece)));
        }
        Assert.Equal("wss://tracker.example", torrent.Announce);
        Assert.Equal(["wss://tracker.example", "udp://t.example:1337"], torrent.Trackers);
        Assert.Equal(["https://ws.example/data.bin"], torrent.UrlList);
        Assert.Equal(1_600_000_000, torrent.CreationDate!.Value.ToUnixTimeSeconds());

        // Output is canonical: strict bencode reads it and re-encoding gives the same bytes.
        var decoded = BencodeSerializer.Decode(torrent.TorrentBytes);
        Assert.Equal(torrent.TorrentBytes.ToArray(), decoded.ToArray());
    }

    [Fact]
    public async Task Multi_file_v1_pieces_span_file_boundaries()
    {
        var a = TestTorrents.Content(20_000, 2);
        var b = TestTorrents.Content(1, 3);
        var c = TestTorrents.Content(30_000, 4);
        var torrent = await TorrentCreator.CreateAsync(
            [TorrentSourceFile.FromBytes("folder/a.bin", a), TorrentSourceFile.FromBytes("folder/sub/b.bin", b), TorrentSourceFile.FromBytes("folder/c.bin", c)]);
        Assert.Equal("folder", torrent.Name);
        Assert.Equal(["folder/a.bin", "folder/sub/b.bin", "folder/c.bin"], torrent.Files.Select(f => f.Path));
        byte[] all = [.. a, .. b, .. c];
        Assert.Equal(all.Length, torrent.TotalLength);
        for (var i = 0; i < torrent.PieceCount; i++)
        {
            var start = i * torrent.PieceLength;
            Assert.True(torrent.GetPieceHash(i).SequenceEqual(TestTorrents.Sha1(all.AsSpan(start, Math.Min(torrent.PieceLength, all.Length - start)))));
        }
    }

    [Fact]
    public async Task Name_falls_back_to_the_first_file_name_without_a_common_folder()
    {
        var torrent = await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("x/a", new byte[] { 1 }), TorrentSourceFile.FromBytes("y/b", new byte[] { 2 })]);
        Assert.Equal("a", torrent.Name);
        Assert.Equal(["a/x/a", "a/y/b"], torrent.Files.Select(f => f.Path));
    }

    [Fact]
    public async Task Hybrid_torrent_has_aligned_padding_and_correct_v2_roots()
    {
        var files = new (string Path, byte[] Content)[]
        {
            ("pack/z-last.bin", TestTorrents.Content(70_000, 5)),
            ("pack/a-first.bin", TestTorrents.Content(5_000, 6)),
            ("pack/empty.bin", []),
            ("pack/m/exact.bin", TestTorrents.Content(32768, 7)),
        };
        var torrent = await TorrentCreator.CreateAsync(files.Select(f => TorrentSourceFile.FromBytes(f.Path, f.Content)).ToList(),
            new TorrentCreationOptions { Version = TorrentVersion.Hybrid, PieceLength = 32768 });

        Assert.Equal(TorrentVersion.Hybrid, torrent.Version);
        Assert.NotNull(torrent.InfoHashV1);
        Assert.NotNull(torrent.InfoHashV2);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(torrent.InfoBytes.Span)), torrent.InfoHashV2!.Value.ToHex());

        // v2 order is the file tree's: byte order of the paths.
        var real = torrent.Files.Where(f => !f.IsPadding).ToList();
        Assert.Equal(["pack/a-first.bin", "pack/empty.bin", "pack/m/exact.bin", "pack/z-last.bin"], real.Select(f => f.Path));
        foreach (var file in real.Where(f => f.Length > 0)) Assert.Equal(0, file.Offset % torrent.PieceLength);

        foreach (var (path, content) in files)
        {
            var file = real.Single(f => f.Path == path);
            if (content.Length == 0)
            {
                Assert.True(file.PiecesRoot.IsEmpty);
                continue;
            }
            // The naive tree: zero leaves up to a power of two (and, past one piece, to whole pieces).
            var minLeaves = content.Length > torrent.PieceLength ? torrent.PieceLength / 16384 : 1;
            Assert.Equal(TestTorrents.NaiveRoot(content, minLeaves), file.PiecesRoot.ToArray());
            Assert.Equal(content.Length > torrent.PieceLength, !file.PieceLayer.IsEmpty);
        }

        // v1 pieces cover the files with zero padding between them.
        using var stream = new MemoryStream();
        foreach (var file in torrent.Files)
        {
            var content = file.IsPadding ? new byte[file.Length] : files.Single(f => f.Path == file.Path).Content;
            stream.Write(content);
        }
        var v1 = stream.ToArray();
        Assert.Equal(v1.Length, torrent.TotalLength);
        for (var i = 0; i < torrent.PieceCount; i++)
        {
            var start = i * torrent.PieceLength;
            Assert.True(torrent.GetPieceHash(i).SequenceEqual(TestTorrents.Sha1(v1.AsSpan(start, Math.Min(torrent.PieceLength, v1.Length - start)))));
        }
    }

    [Fact]
    public async Task V2_only_torrent_round_trips()
    {
        var content = TestTorrents.Content(100_000, 8);
        var torrent = await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("v2.bin", content)], new TorrentCreationOptions { Version = TorrentVersion.V2 });
        Assert.Equal(TorrentVersion.V2, torrent.Version);
        Assert.Null(torrent.InfoHashV1);
        Assert.Equal(torrent.InfoHashV2!.Value, torrent.InfoHash);
        Assert.True(torrent.PieceHashes.IsEmpty);
        Assert.Equal(7, torrent.PieceCount);
        var file = Assert.Single(torrent.Files);
        Assert.Equal(TestTorrents.NaiveRoot(content, 1), file.PiecesRoot.ToArray());
        Assert.Equal(7 * 32, file.PieceLayer.Length);
    }

    [Fact]
    public async Task Tampered_piece_layer_is_rejected()
    {
        var torrent = await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("f.bin", TestTorrents.Content(50_000, 9))], new TorrentCreationOptions { Version = TorrentVersion.Hybrid });
        var root = BencodeSerializer.DecodeDictionary(torrent.TorrentBytes);
        var layers = (BencodeDictionary)root["piece layers"];
        var (key, value) = layers.Single();
        var tampered = ((BencodeString)value).Bytes.ToArray();
        tampered[0] ^= 1;
        layers.Set(key, tampered);
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(root.ToArray()));
        Assert.StartsWith("piece layers", ex.Field);
    }

    [Fact]
    public async Task Hybrid_whose_v1_and_v2_parts_disagree_is_rejected()
    {
        var torrent = await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("d/a", TestTorrents.Content(10, 1)), TorrentSourceFile.FromBytes("d/b", TestTorrents.Content(10, 2))],
            new TorrentCreationOptions { Version = TorrentVersion.Hybrid });
        var root = BencodeSerializer.DecodeDictionary(torrent.TorrentBytes);
        var info = (BencodeDictionary)root["info"];
        var files = (BencodeList)info["files"];
        ((BencodeDictionary)files[^1])["path"] = new BencodeList { "other" };
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(root.ToArray()));
    }

    [Fact]
    public async Task Folder_creation_skips_hidden_and_junk_files_and_sorts_by_name()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"metainfo-folder-{Guid.NewGuid():N}"));
        try
        {
            Directory.CreateDirectory(Path.Combine(folder.FullName, "b-dir"));
            File.WriteAllBytes(Path.Combine(folder.FullName, "b-dir", "inner.txt"), [1, 2, 3]);
            File.WriteAllBytes(Path.Combine(folder.FullName, "c.txt"), [4]);
            File.WriteAllBytes(Path.Combine(folder.FullName, "a.txt"), [5, 6]);
            File.WriteAllBytes(Path.Combine(folder.FullName, ".DS_Store"), [7]);
            File.WriteAllBytes(Path.Combine(folder.FullName, "Thumbs.db"), [8]);
            var progress = new List<TorrentCreationProgress>();
            var torrent = await TorrentCreator.CreateFromPathAsync(folder.FullName, new TorrentCreationOptions { Progress = new SyncProgress(progress) });
            Assert.Equal(folder.Name, torrent.Name);
            Assert.Equal([$"{folder.Name}/a.txt", $"{folder.Name}/b-dir/inner.txt", $"{folder.Name}/c.txt"], torrent.Files.Select(f => f.Path));
            Assert.Equal(6, progress[^1].BytesHashed);

            var single = await TorrentCreator.CreateFromPathAsync(Path.Combine(folder.FullName, "a.txt"));
            Assert.True(single.IsSingleFile);
            Assert.Equal("a.txt", single.Name);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Source_that_changes_length_is_an_error()
    {
        var source = new TorrentSourceFile(["f"], _ => ValueTask.FromResult<Stream>(new MemoryStream(new byte[10])), length: 11);
        await Assert.ThrowsAsync<IOException>(() => TorrentCreator.CreateAsync([source]));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TorrentCreator.CreateAsync(new MemoryStream(new byte[100_000]), "x", cancellationToken: cts.Token));
    }

    [Fact]
    public void Unsafe_input_paths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TorrentSourceFile.FromBytes("../evil", new byte[] { 1 }));
        Assert.Throws<ArgumentException>(() => TorrentSourceFile.FromBytes("a//b", new byte[] { 1 }));
    }

    [Fact]
    public async Task Duplicate_paths_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("d/a", new byte[] { 1 }), TorrentSourceFile.FromBytes("d/a", new byte[] { 2 })]));
        await Assert.ThrowsAsync<ArgumentException>(() => TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("d/a", new byte[] { 1 }), TorrentSourceFile.FromBytes("d/a/b", new byte[] { 2 })]));
    }

    [Fact]
    public async Task Private_and_source_change_the_info_hash()
    {
        var plain = await TorrentCreator.CreateAsync(new MemoryStream([1, 2, 3]), "x");
        var isPrivate = await TorrentCreator.CreateAsync(new MemoryStream([1, 2, 3]), "x", new TorrentCreationOptions { Private = true });
        var withSource = await TorrentCreator.CreateAsync(new MemoryStream([1, 2, 3]), "x", new TorrentCreationOptions { Source = "tracker" });
        Assert.True(isPrivate.IsPrivate);
        Assert.Equal("tracker", withSource.Source);
        Assert.NotEqual(plain.InfoHash, isPrivate.InfoHash);
        Assert.NotEqual(plain.InfoHash, withSource.InfoHash);
    }

    [Fact]
    public async Task Magnet_link_carries_both_hashes_name_trackers_and_web_seeds()
    {
        var torrent = await TorrentCreator.CreateAsync([TorrentSourceFile.FromBytes("d/a b", TestTorrents.Content(40_000, 1))],
            new TorrentCreationOptions { Version = TorrentVersion.Hybrid, AnnounceList = [["wss://t.example"]], UrlList = ["https://w.example/"] });
        var link = MagnetUri.MagnetLink.Parse(torrent.ToMagnetLink().ToString());
        Assert.Equal(torrent.InfoHashV1, link.InfoHashV1);
        Assert.Equal(torrent.InfoHashV2, link.InfoHashV2);
        Assert.Equal("d", link.DisplayName);
        Assert.Equal(["wss://t.example"], link.Trackers.ToArray());
        Assert.Equal(["https://w.example/"], link.WebSeeds.ToArray());
    }

    private sealed class SyncProgress(List<TorrentCreationProgress> sink) : IProgress<TorrentCreationProgress>
    {
        public void Report(TorrentCreationProgress value) => sink.Add(value);
    }
}
