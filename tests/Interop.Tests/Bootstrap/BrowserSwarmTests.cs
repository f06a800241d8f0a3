using System.Text.Json;
using Microsoft.Playwright;
using WebTorrent.TestSupport;

namespace Interop.Tests.Bootstrap;

/// <summary>Two headless Chromium pages running npm webtorrent's webtorrent.min.js find each other through OUR tracker only.</summary>
public sealed class BrowserSwarmTests
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    [Fact]
    public async Task Browser_seeds_and_browser_downloads_by_magnet_through_our_websocket_tracker()
    {
        TestNetwork.RequireIsolatedNamespace();
        TestNetwork.RequireExecutable("/usr/bin/chromium");
        await using var host = await TrackerTestHost.StartAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // A fresh machine's first Chromium start builds its caches: allow more than Playwright's default 30 s.
            Timeout = 120_000,
            Args = ChromiumArgs,
        });
        await using var seederContext = await browser.NewContextAsync();
        await using var leecherContext = await browser.NewContextAsync();
        var seeder = await seederContext.NewPageAsync();
        var leecher = await leecherContext.NewPageAsync();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        seeder.Console += (_, m) => log.Enqueue("[seeder] " + m.Text);
        leecher.Console += (_, m) => log.Enqueue("[leecher] " + m.Text);
        foreach (var page in new[] { seeder, leecher })
        {
            await page.GotoAsync(new Uri(host.HttpUri, "/page.html").ToString());
            await page.WaitForFunctionAsync("() => window.ready === true", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        }

        // 3 MiB of bytes from a fixed formula (seeded per run by the length), generated in the page and checked by the downloader.
        const int size = 3 * 1024 * 1024;
        var magnet = await seeder.EvaluateAsync<string>(@"([size, announce]) => new Promise((resolve, reject) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            client.on('error', e => reject(String(e)));
            const data = new Uint8Array(size);
            for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 255;
            client.seed(new File([data], 'generated.bin'), { announce: [announce] }, t => resolve(t.magnetURI));
        })", new object[] { size, host.WebSocketUrl });
        Assert.Contains("xt=urn:btih:", magnet, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(host.WebSocketUrl), magnet, StringComparison.OrdinalIgnoreCase);

        var resultJson = await leecher.EvaluateAsync<string>(@"([magnet, size]) => new Promise((resolve) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            const timer = setTimeout(() => resolve(JSON.stringify({ timeout: true })), 90000);
            client.add(magnet, t => t.on('done', async () => {
                const buf = new Uint8Array(await t.files[0].arrayBuffer());
                let mismatch = -1;
                if (buf.length === size) { for (let i = 0; i < size; i++) if (buf[i] !== ((i * 31 + (i >> 11)) & 255)) { mismatch = i; break; } }
                clearTimeout(timer);
                resolve(JSON.stringify({ length: buf.length, mismatch, wires: t.wires.map(w => w.type) }));
            }));
        })", new object[] { magnet, size });

        using var result = JsonDocument.Parse(resultJson);
        var diagnostics = resultJson + "\n" + string.Join('\n', log) + "\nstats: " + host.Tracker.GetStats();
        Assert.False(result.RootElement.TryGetProperty("timeout", out _), "download timed out: " + diagnostics);
        Assert.Equal(size, result.RootElement.GetProperty("length").GetInt32());
        Assert.Equal(-1, result.RootElement.GetProperty("mismatch").GetInt32());
        Assert.Contains("webrtc", result.RootElement.GetProperty("wires").EnumerateArray().Select(w => w.GetString()));

        // The signaling went through our relay: offers out, answers back, both browsers in one swarm.
        var stats = host.Tracker.GetStats();
        Assert.True(stats.OffersRelayed >= 1, diagnostics);
        Assert.True(stats.AnswersRelayed >= 1, diagnostics);
        Assert.Equal(1, stats.Swarms);
        Assert.Equal(2, stats.WebSocketPeers);
    }
}
