using WebTorrent.Metainfo;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Metainfo;

/// <summary>
/// v2 and hybrid torrents against libtorrent 2.0 (python3-libtorrent, Debian's /usr/bin/python3): the same files
/// give the same v1 and v2 info-hashes, and each side reads the other's torrent with the same hashes.
/// </summary>
public sealed class LibtorrentHybridInteropTests : IDisposable
{
    // libtorrent creates hybrid torrents by default in 2.0; it prints both info-hashes of what it made and of ours.
    private const string Script = """
        import sys, libtorrent as lt
        folder, parent, piece, out, ours = sys.argv[1:6]
        fs = lt.file_storage()
        lt.add_files(fs, folder)
        t = lt.create_torrent(fs, int(piece))
        lt.set_piece_hashes(t, parent)
        open(out, 'wb').write(lt.bencode(t.generate()))
        for path in (out, ours):
            h = lt.torrent_info(path).info_hashes()
            print(str(h.v1), str(h.v2))
        """;

    private readonly DirectoryInfo _work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"metainfo-lt-{Guid.NewGuid():N}"));

    public void Dispose() => _work.Delete(recursive: true);

    [Theory]
    [InlineData(16384)]
    [InlineData(65536)]
    public async Task Hybrid_torrents_match_libtorrent(int pieceLength)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, "pack"));
        Directory.CreateDirectory(Path.Combine(folder.FullName, "c"));
        var sizes = new (string Path, int Size)[] { ("a.bin", 20_000), ("b.bin", 1), ("c/d.bin", 250_000), ("e.bin", 65536) };
        var seed = 1;
        foreach (var (path, size) in sizes)
        {
            var bytes = new byte[size];
            new Random(seed++).NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, path), bytes);
        }

        var ours = await TorrentCreator.CreateFromPathAsync(folder.FullName, new TorrentCreationOptions { Version = TorrentVersion.Hybrid, PieceLength = pieceLength });
        var ourFile = Path.Combine(_work.FullName, "ours.torrent");
        await ours.SaveAsync(ourFile);
        var theirFile = Path.Combine(_work.FullName, "libtorrent.torrent");

        await using var python = ExternalProcess.Start("/usr/bin/python3",
            ["-c", Script, folder.FullName, _work.FullName, pieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture), theirFile, ourFile]);
        var exit = await python.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"python3-libtorrent failed ({exit}): {python.StandardError}");
        await Task.Delay(100);
        var lines = python.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        var theirHashes = lines[0].Split(' ');
        var ourHashesSeenByLibtorrent = lines[1].Split(' ');

        // libtorrent reads ours with our hashes.
        Assert.Equal(ours.InfoHashV1!.Value.ToHex(), ourHashesSeenByLibtorrent[0]);
        Assert.Equal(ours.InfoHashV2!.Value.ToHex(), ourHashesSeenByLibtorrent[1]);

        // Same files, same piece length: same info dictionary, so the same hashes.
        Assert.Equal(theirHashes[0], ours.InfoHashV1!.Value.ToHex());
        Assert.Equal(theirHashes[1], ours.InfoHashV2!.Value.ToHex());

        // And we read libtorrent's torrent (piece layers verified) with its hashes.
        var theirs = TorrentMetainfo.Load(theirFile);
        Assert.Equal(TorrentVersion.Hybrid, theirs.Version);
        Assert.Equal(theirHashes[0], theirs.InfoHashV1!.Value.ToHex());
        Assert.Equal(theirHashes[1], theirs.InfoHashV2!.Value.ToHex());
        Assert.Equal(ours.Files.Select(f => (f.Path, f.Length)), theirs.Files.Select(f => (f.Path, f.Length)));
        Assert.All(theirs.Files.Where(f => !f.IsPadding && f.Length > pieceLength), f => Assert.False(f.PieceLayer.IsEmpty));
    }
}
