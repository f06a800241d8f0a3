using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Interop.Tests.WebRtc;
using MagnetUri;
using Microsoft.Playwright;
using WebRtc.Ice;
using WebTorrent;
using WebTorrent.Interop.Tests.Client;
using WebTorrent.TestSupport;
using WebTorrent.Tests.Engine;
using WebTorrent.WebRtc;

namespace Interop.Tests.Bootstrap;

/// <summary>
/// Our <see cref="WebTorrentClient"/> with WebRTC on, trading with npm webtorrent (webtorrent.min.js) in headless Chromium
/// through OUR Bootstrap WebSocket tracker: a browser downloads from our seeder, and our client downloads from a browser seeder.
/// </summary>
public sealed class WebRtcClientBrowserTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Our side gathers loopback only: Chromium reaches 127.0.0.1 host candidates, and nothing else is involved.</summary>
    private static WebTorrentClientOptions Options() => new()
    {
        ListenPort = null,
        WebRtc = new WebRtcPeerOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } },
    };

    private static async Task<IPage> OpenPageAsync(ChromiumWebRtc chromium, TrackerTestHost host, ConcurrentQueue<string> log)
    {
        var page = await chromium.NewPageAsync();
        page.Console += (_, m) => log.Enqueue("[page] " + m.Text);
        await page.GotoAsync(new Uri(host.HttpUri, "/page.html").ToString());
        await page.WaitForFunctionAsync("() => window.ready === true", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        return page;
    }

    [Fact]
    public async Task Browser_downloads_a_magnet_from_our_seeder_over_webrtc_and_checks_its_sha256()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await BrowserDownloadsFromOurSeederAsync(host, host.WebSocketUrl, "our Bootstrap tracker");
        var stats = host.Tracker.GetStats();
        Assert.True(stats.OffersRelayed >= 1 && stats.AnswersRelayed >= 1, "stats: " + stats);
    }

    [Fact]
    public async Task Browser_downloads_a_magnet_from_our_seeder_over_webrtc_through_npm_bittorrent_tracker()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await using var server = ExternalProcess.StartNode("tracker-server.mjs");
        var ready = await server.WaitForLineAsync("{\"ready\"", TimeSpan.FromSeconds(30));
        using var json = JsonDocument.Parse(ready);
        var npmTracker = $"ws://127.0.0.1:{json.RootElement.GetProperty("http").GetInt32()}";
        await BrowserDownloadsFromOurSeederAsync(host, npmTracker, "npm bittorrent-tracker");
    }

    [Fact]
    public async Task Browser_completes_a_libtorrent_download_through_our_client_as_the_bridge_between_tcp_and_webrtc()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        using var data = await GeneratedData.CreateAsync("bridge.bin", 24L * 1024 * 1024, 31);
        // libtorrent seeds over TCP only: the browser cannot reach it, our client reaches both.
        var (process, seeding) = await LibtorrentClient.StartSeederAsync(data.Path, 256 * 1024, Timeout);
        await using var libtorrent = process;
        var log = new ConcurrentQueue<string>();
        var page = await OpenPageAsync(chromium, host, log);

        var folder = Path.Combine(data.Root, "bridge");
        // Slowed down from libtorrent, so the browser is served while our download still runs.
        await using var client = new WebTorrentClient(Options() with
        {
            DownloadFolder = folder, EnableDht = false, EnableTrackers = false, EnableLocalDiscovery = false, EnablePex = false,
            DownloadRateLimit = 3 * 1024 * 1024,
        });
        var magnet = new MagnetLink { InfoHashes = [InfoHash.Parse(seeding.InfoHash)], DisplayName = "bridge.bin", Trackers = [host.WebSocketUrl] };
        var torrent = await client.AddAsync(magnet, new AddTorrentOptions { Peers = [new IPEndPoint(IPAddress.Loopback, seeding.Port)] });
        var transports = new ConcurrentQueue<PeerTransport>();
        torrent.WireConnected += (_, p) => transports.Enqueue(p.Transport);
        double? progressAtFirstUpload = null;
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested && progressAtFirstUpload is null)
            {
                var progress = torrent.Progress;
                if (torrent.Uploaded > 0) progressAtFirstUpload = progress;
                await Task.Delay(10, CancellationToken.None);
            }
        });

        var json = await page.EvaluateAsync<string>(@"([magnet, timeoutMs]) => new Promise((resolve) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            const timer = setTimeout(() => resolve(JSON.stringify({ timeout: true, progress: client.progress })), timeoutMs);
            client.on('error', e => { clearTimeout(timer); resolve(JSON.stringify({ error: String(e) })); });
            client.add(magnet, t => t.on('done', async () => {
              const buf = await t.files[0].arrayBuffer();
              const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', buf));
              clearTimeout(timer);
              resolve(JSON.stringify({
                length: buf.byteLength,
                sha1: Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''),
                wires: t.wires.map(w => w.type),
              }));
            }));
        })", new object[] { magnet.ToString(), (int)Timeout.TotalMilliseconds });
        await watching.CancelAsync();
        await watcher;

        using var result = JsonDocument.Parse(json);
        var diagnostics = json + "\n" + string.Join('\n', log) + $"\nours: {torrent.State} {torrent.Progress:P0}, stats: " + host.Tracker.GetStats();
        Assert.False(result.RootElement.TryGetProperty("timeout", out _), "download timed out: " + diagnostics);
        Assert.False(result.RootElement.TryGetProperty("error", out _), diagnostics);
        Assert.Equal(data.Length, result.RootElement.GetProperty("length").GetInt64());
        Assert.Equal(data.Sha1, result.RootElement.GetProperty("sha1").GetString());
        Assert.All(result.RootElement.GetProperty("wires").EnumerateArray(), w => Assert.Equal("webrtc", w.GetString()));
        Assert.Contains(PeerTransport.Tcp, transports);
        Assert.Contains(PeerTransport.WebRtc, transports);
        using (var cts = new CancellationTokenSource(Timeout)) await torrent.WaitForCompletionAsync(cts.Token);
        Assert.Equal(data.Sha1, await GeneratedData.Sha1OfAsync(Path.Combine(folder, "bridge.bin")));
        Assert.True(progressAtFirstUpload is < 1.0, $"our client had {progressAtFirstUpload:P0} when it first served the browser");
        Console.WriteLine($"bridge: our client had {progressAtFirstUpload:P0} of the file when the browser got its first block");
    }

    /// <summary>Our client seeds 50 MiB announcing to <paramref name="tracker"/>; a page served by <paramref name="host"/> downloads it by magnet and hashes it.</summary>
    private static async Task BrowserDownloadsFromOurSeederAsync(TrackerTestHost host, string tracker, string trackerName)
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        await using var swarm = new Swarm();
        var log = new ConcurrentQueue<string>();
        var page = await OpenPageAsync(chromium, host, log);

        const int size = 50 * 1024 * 1024;
        var (path, files) = swarm.WriteContent("browser-download", 21, ("fifty.bin", size));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(files["fifty.bin"]));
        var seeder = swarm.Client(Options());
        var seed = await seeder.SeedAsync(Path.Combine(path, "fifty.bin"), new SeedOptions { AnnounceList = [[tracker]] });
        var transports = new ConcurrentQueue<PeerTransport>();
        seed.WireConnected += (_, p) => transports.Enqueue(p.Transport);
        var magnet = new MagnetLink { InfoHashes = [seed.InfoHash], DisplayName = "fifty.bin", Trackers = [tracker] }.ToString();

        var watch = Stopwatch.StartNew();
        var json = await page.EvaluateAsync<string>(@"([magnet, timeoutMs]) => new Promise((resolve) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            const timer = setTimeout(() => resolve(JSON.stringify({ timeout: true, progress: client.progress })), timeoutMs);
            client.on('error', e => { clearTimeout(timer); resolve(JSON.stringify({ error: String(e) })); });
            client.add(magnet, t => {
              t.on('wire', w => console.log('wire ' + w.type + ' ' + w.peerId));
              t.on('done', async () => {
                const buf = await t.files[0].arrayBuffer();
                const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
                clearTimeout(timer);
                resolve(JSON.stringify({
                  length: buf.byteLength,
                  sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''),
                  wires: t.wires.map(w => w.type),
                }));
              });
            });
        })", new object[] { magnet, (int)Timeout.TotalMilliseconds });
        watch.Stop();

        using var result = JsonDocument.Parse(json);
        var diagnostics = json + "\n" + string.Join('\n', log) + "\nstats: " + host.Tracker.GetStats();
        Assert.False(result.RootElement.TryGetProperty("timeout", out _), "download timed out: " + diagnostics);
        Assert.False(result.RootElement.TryGetProperty("error", out _), diagnostics);
        Assert.Equal(size, result.RootElement.GetProperty("length").GetInt32());
        Assert.Equal(sha256, result.RootElement.GetProperty("sha256").GetString());
        Assert.Contains(PeerTransport.WebRtc, transports);
        Assert.True(seed.Uploaded >= size, $"uploaded {seed.Uploaded}");
        Console.WriteLine($"browser <- our seeder through {trackerName}: {size / 1048576} MiB in {watch.Elapsed.TotalSeconds:F1} s ({size / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s)");
    }

    [Fact]
    public async Task Our_client_downloads_a_magnet_from_a_browser_seeder_with_metadata_over_the_data_channel()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        await using var swarm = new Swarm();
        var log = new ConcurrentQueue<string>();
        var page = await OpenPageAsync(chromium, host, log);

        const int size = 5_000_003;
        var magnet = await page.EvaluateAsync<string>(@"([size, announce]) => new Promise((resolve, reject) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            client.on('error', e => reject(String(e)));
            const data = new Uint8Array(size);
            for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 255;
            client.seed(new File([data], 'generated.bin'), { announce: [announce] }, t => {
              t.on('wire', w => console.log('wire ' + w.type + ' ' + w.peerId));
              resolve(t.magnetURI);
            });
        })", new object[] { size, host.WebSocketUrl });
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (host.Tracker.GetStats().WebSocketPeers < 1) await Task.Delay(50, cts.Token);
        }

        var client = swarm.Client(Options());
        var torrent = await client.AddAsync(magnet);
        var transports = new ConcurrentQueue<PeerTransport>();
        torrent.WireConnected += (_, p) => transports.Enqueue(p.Transport);
        var watch = Stopwatch.StartNew();
        using (var cts = new CancellationTokenSource(Timeout))
        {
            try
            {
                await torrent.WaitForCompletionAsync(cts.Token);
            }
            catch (OperationCanceledException e)
            {
                throw new TimeoutException($"not complete ({torrent.State}, {torrent.Progress:P0}): "
                    + string.Join('\n', log) + "\nstats: " + host.Tracker.GetStats(), e);
            }
        }
        watch.Stop();

        Assert.True(torrent.HasMetadata);
        Assert.Contains(PeerTransport.WebRtc, transports);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(torrent.DownloadFolder, "generated.bin"));
        Assert.Equal(size, bytes.Length);
        for (var i = 0; i < size; i++)
        {
            if (bytes[i] != (byte)((i * 31 + (i >> 11)) & 255)) Assert.Fail($"byte {i} differs");
        }
        Assert.Contains(log, line => line.Contains("wire webrtc", StringComparison.Ordinal));
        Console.WriteLine($"our client <- browser seeder: {size} bytes in {watch.Elapsed.TotalSeconds:F1} s");
    }
}
