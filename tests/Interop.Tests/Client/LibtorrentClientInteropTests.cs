using System.Net;
using MagnetUri;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Client;

/// <summary>
/// Our <see cref="WebTorrentClient"/> against libtorrent 2.0 (python3-libtorrent) over real TCP on 127.0.0.1, 200 MB each
/// way, both starting from a magnet link so the metadata comes over ut_metadata. Bytes are compared with SHA-1.
/// </summary>
public sealed class LibtorrentClientInteropTests
{
    private const long Size = 200_000_000;              // not a multiple of the piece length: the last piece is short
    private const int PieceLength = 256 * 1024;
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Transfer = TimeSpan.FromSeconds(120);

    private static WebTorrentClientOptions LoopbackOnly(string folder) => new()
    {
        DownloadFolder = folder,
        ListenAddress = IPAddress.Loopback,
        ListenPort = 0,
        EnableDht = false,
        EnableTrackers = false,
        EnablePex = false,
        EnableLocalDiscovery = false,
    };

    [Fact]
    public async Task Downloads_200_MB_from_a_libtorrent_seeder_starting_from_a_magnet_link()
    {
        using var data = await GeneratedData.CreateAsync("from-libtorrent.bin", Size, seed: 9);
        var (process, seeding) = await LibtorrentClient.StartSeederAsync(data.Path, PieceLength, Start);
        await using var seeder = process;
        var folder = Path.Combine(data.Root, "ours");
        await using var client = new WebTorrentClient(LoopbackOnly(folder));
        using var timeout = new CancellationTokenSource(Transfer);
        var magnet = MagnetLink.Parse(seeding.Magnet);
        Assert.Null(magnet.ExactLength);   // nothing but the info-hash and a name: the metadata has to come from libtorrent

        Torrent torrent;
        try
        {
            torrent = await client.AddAsync(magnet, new AddTorrentOptions { Peers = [new IPEndPoint(IPAddress.Loopback, seeding.Port)] }, timeout.Token);
            await torrent.WaitForMetadataAsync(timeout.Token);
            await torrent.WaitForCompletionAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            var state = client.Torrents.FirstOrDefault() is { } t ? $"{t.State}, {t.Progress:P1}, {t.Peers.Count} peers, error {t.Error?.Message}" : "not added";
            throw new TimeoutException($"Not downloaded within {Transfer} ({state}). libtorrent said:\n{seeder.StandardOutput}\n{seeder.StandardError}", e);
        }

        Assert.True(torrent.HasMetadata);
        Assert.Equal(seeding.InfoHash, torrent.InfoHash.ToHex());
        Assert.Equal(Size, torrent.Length);
        Assert.Equal(1.0, torrent.Progress);
        var file = Assert.Single(torrent.Files);
        Assert.True(file.IsDone);
        var path = torrent.Metainfo!.Files[file.Index].ResolvePath(folder);
        Assert.Equal(Size, new FileInfo(path).Length);
        Assert.Equal(data.Sha1, await GeneratedData.Sha1OfAsync(path));
        Assert.InRange(torrent.Downloaded, Size, Size + (Size / 10));   // every byte came over the wire, little twice
    }

    [Fact]
    public async Task Seeds_200_MB_to_a_libtorrent_downloader_starting_from_a_magnet_link()
    {
        using var data = await GeneratedData.CreateAsync("to-libtorrent.bin", Size, seed: 10);
        await using var client = new WebTorrentClient(LoopbackOnly(Path.Combine(data.Root, "seed")));
        using var timeout = new CancellationTokenSource(Transfer);
        var seeded = await client.SeedAsync(data.Path, new SeedOptions { PieceLength = PieceLength }, timeout.Token);
        Assert.Equal(TorrentState.Seeding, seeded.State);
        var port = client.ListenEndPoint!.Port;
        var magnet = seeded.Metainfo!.ToMagnetLink();

        var folder = Path.Combine(data.Root, "libtorrent");
        await using var downloader = LibtorrentClient.StartDownloader(magnet.ToString(), folder, port, Transfer);
        var done = LibtorrentClient.Json(await downloader.WaitForLineAsync(
            l => l.Contains("\"done\"", StringComparison.Ordinal) || l.Contains("\"error\"", StringComparison.Ordinal), Transfer + TimeSpan.FromSeconds(10)));
        Assert.True(done.GetProperty("event").GetString() == "done",
            $"libtorrent did not complete: {done}\n{downloader.StandardOutput}\n{downloader.StandardError}\nours: {ProgressLine(seeded)}");

        Assert.Contains("\"metadata\"", downloader.StandardOutput, StringComparison.Ordinal);   // it started from the magnet link alone
        Assert.DoesNotContain("hash_failed", downloader.StandardOutput, StringComparison.Ordinal);
        var files = done.GetProperty("files");
        Assert.Equal(1, files.GetArrayLength());
        Assert.Equal(Size, files[0].GetProperty("size").GetInt64());
        Assert.Equal(data.Sha1, files[0].GetProperty("sha1").GetString());
        Assert.Equal(data.Sha1, await GeneratedData.Sha1OfAsync(Path.Combine(folder, "to-libtorrent.bin")));
        Assert.True(seeded.Uploaded >= Size, $"we uploaded {seeded.Uploaded} of {Size} bytes");
    }

    private static string ProgressLine(Torrent torrent) =>
        $"{torrent.State}, uploaded {torrent.Uploaded}, {torrent.Peers.Count} peers";
}
