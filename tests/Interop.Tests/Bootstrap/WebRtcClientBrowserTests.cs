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
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        await using var swarm = new Swarm();
        var log = new ConcurrentQueue<string>();
        var page = await OpenPageAsync(chromium, host, log);

        const int size = 50 * 1024 * 1024;
        var (path, files) = swarm.WriteContent("browser-download", 21, ("fifty.bin", size));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(files["fifty.bin"]));
        var seeder = swarm.Client(Options());
        var seed = await seeder.SeedAsync(Path.Combine(path, "fifty.bin"), new SeedOptions { AnnounceList = [[host.WebSocketUrl]] });
        var transports = new ConcurrentQueue<PeerTransport>();
        seed.WireConnected += (_, p) => transports.Enqueue(p.Transport);
        var magnet = new MagnetLink { InfoHashes = [seed.InfoHash], DisplayName = "fifty.bin", Trackers = [host.WebSocketUrl] }.ToString();

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
        Console.WriteLine($"browser <- our seeder: {size / 1048576} MiB in {watch.Elapsed.TotalSeconds:F1} s ({size / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s)");
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
