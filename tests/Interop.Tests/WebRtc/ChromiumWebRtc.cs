using Microsoft.Playwright;
using WebTorrent.TestSupport;

namespace Interop.Tests.WebRtc;

/// <summary>Headless Debian Chromium driven by Playwright, with RTCPeerConnection helpers run in the page.</summary>
internal sealed class ChromiumWebRtc : IAsyncDisposable
{
    private const string PageScript = """
        () => {
        window.makePc = () => {
          const pc = new RTCPeerConnection();
          pc.createDataChannel('x');
          return pc;
        };
        window.gathered = (pc) => new Promise(resolve => {
          if (pc.iceGatheringState === 'complete') return resolve();
          pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
        });
        }
        """;

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly string _profile;

    private ChromiumWebRtc(IPlaywright playwright, IBrowser browser, string profile)
    {
        _playwright = playwright;
        _browser = browser;
        _profile = profile;
    }

    public static async Task<ChromiumWebRtc> LaunchAsync(bool hideLocalIpsWithMdns = false)
    {
        TestNetwork.RequireIsolatedNamespace();
        var executable = TestNetwork.RequireExecutable("/usr/bin/chromium");
        var profile = Directory.CreateTempSubdirectory("wt-chromium-").FullName;
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // A fresh machine's first Chromium start builds its caches: allow more than Playwright's default 30 s.
                Timeout = 120_000,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    .. (hideLocalIpsWithMdns ? Array.Empty<string>() : ["--disable-features=WebRtcHideLocalIpsWithMdns"]),
                ],
            });
            return new ChromiumWebRtc(playwright, browser, profile);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async Task<IPage> NewPageAsync()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync("about:blank");
        await page.EvaluateAsync(PageScript);
        return page;
    }

    /// <summary>Creates window.pc with a data channel and returns its complete (non-trickle) offer.</summary>
    public static Task<string> CreateOfferAsync(IPage page) => page.EvaluateAsync<string>("""
        async () => {
          window.pc = makePc();
          await pc.setLocalDescription(await pc.createOffer());
          await gathered(pc);
          return pc.localDescription.sdp;
        }
        """);

    /// <summary>Creates window.pc, applies the remote offer and returns the complete answer.</summary>
    public static Task<string> AnswerAsync(IPage page, string offer) => page.EvaluateAsync<string>("""
        async (offer) => {
          window.pc = makePc();
          await pc.setRemoteDescription({ type: 'offer', sdp: offer });
          await pc.setLocalDescription(await pc.createAnswer());
          await gathered(pc);
          return pc.localDescription.sdp;
        }
        """, offer);

    public static Task SetRemoteAnswerAsync(IPage page, string answer) =>
        page.EvaluateAsync("async (answer) => { await pc.setRemoteDescription({ type: 'answer', sdp: answer }); }", answer);

    /// <summary>Waits until pc.connectionState is 'connected', failing with the last state otherwise.</summary>
    public static async Task WaitConnectedAsync(IPage page, TimeSpan timeout)
    {
        try
        {
            await page.WaitForFunctionAsync("() => window.pc && pc.connectionState === 'connected'", null,
                new PageWaitForFunctionOptions { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            var state = await page.EvaluateAsync<string>("() => `${pc.connectionState}/${pc.iceConnectionState}`");
            throw new TimeoutException($"Chromium's pc.connectionState/iceConnectionState stayed {state}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
