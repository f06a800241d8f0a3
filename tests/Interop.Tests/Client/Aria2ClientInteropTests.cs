using System.Net;
using Interop.Tests.Bootstrap;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Client;

/// <summary>
/// aria2c (Debian's aria2 1.36) downloads from our seeding <see cref="WebTorrentClient"/>. aria2c cannot be told a peer,
/// so both meet at our HTTP tracker (WebTorrent.Bootstrap in-process on 127.0.0.1): our client announces the torrent
/// it seeds, aria2c announces and dials what the tracker returns.
/// </summary>
public sealed class Aria2ClientInteropTests
{
    private const string Aria2c = "/usr/bin/aria2c";
    private const long Size = 100_000_000;
    private static readonly TimeSpan Transfer = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Aria2c_downloads_100_MB_from_our_seeder_found_through_our_http_tracker()
    {
        Assert.True(File.Exists(Aria2c), "aria2c is required (eng/install-test-deps.sh)");
        using var data = await GeneratedData.CreateAsync("to-aria2.bin", Size, seed: 11);
        await using var tracker = await TrackerTestHost.StartAsync();
        var announce = new Uri(tracker.HttpUri, "/announce").ToString();
        await using var client = new WebTorrentClient(new WebTorrentClientOptions
        {
            DownloadFolder = Path.Combine(data.Root, "seed"),
            ListenAddress = IPAddress.Loopback,
            ListenPort = 0,
            EnableDht = false,
            EnablePex = false,
            EnableLocalDiscovery = false,
            EnableTrackers = true,
        });
        using var timeout = new CancellationTokenSource(Transfer);
        var seeded = await client.SeedAsync(data.Path, new SeedOptions { PieceLength = 256 * 1024, AnnounceList = [[announce]] }, timeout.Token);
        var torrentFile = Path.Combine(data.Root, "to-aria2.torrent");
        await seeded.Metainfo!.SaveAsync(torrentFile, timeout.Token);

        var folder = Path.Combine(data.Root, "aria2");
        await using var aria2 = ExternalProcess.Start(Aria2c, [
            "--dir=" + folder, "--seed-time=0", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--file-allocation=none", "--summary-interval=0", "--console-log-level=warn",
            "--bt-tracker-interval=1", "--bt-stop-timeout=100", "--no-conf=true", torrentFile]);
        int exit;
        try
        {
            exit = await aria2.WaitForExitAsync(Transfer);
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"aria2c did not finish within {Transfer}: ours {seeded.State}, uploaded {seeded.Uploaded}, {seeded.Peers.Count} peers, "
                + $"tracker {tracker.Tracker.GetStats()}\n{aria2.StandardOutput}\n{aria2.StandardError}", e);
        }
        Assert.True(exit == 0, $"aria2c exited with {exit}\n{aria2.StandardOutput}\n{aria2.StandardError}");
        var downloaded = Path.Combine(folder, "to-aria2.bin");
        Assert.Equal(Size, new FileInfo(downloaded).Length);
        Assert.Equal(data.Sha1, await GeneratedData.Sha1OfAsync(downloaded));
        Assert.True(seeded.Uploaded >= Size, $"we uploaded {seeded.Uploaded} of {Size} bytes");
    }
}
