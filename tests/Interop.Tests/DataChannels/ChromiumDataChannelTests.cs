using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Interop.Tests.WebRtc;
using Microsoft.Playwright;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace Interop.Tests.DataChannels;

/// <summary>Data channels between our stack and real headless Chromium, both directions of offer/answer.</summary>
public class ChromiumDataChannelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly int BulkBytes = int.TryParse(Environment.GetEnvironmentVariable("WT_BULK_MB"), out var mb) ? mb << 20 : 100 << 20;
    private static PeerConnection? _current;

    private static IPage? _page;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> PageConsole = new();

    // What the page saw (its events, console output and errors), for a failure message.
    private static async Task<string> PageEventsAsync()
    {
        try
        {
            var events = _page is null ? "" : await _page.EvaluateAsync<string>("() => JSON.stringify(window.events)").WaitAsync(TimeSpan.FromSeconds(10));
            return events + " console: " + string.Join(" | ", PageConsole);
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            return "(page unavailable: " + ex.Message + ")";
        }
    }

    private static string Stats() => _current?.Sctp is { } sctp ? System.Text.Json.JsonSerializer.Serialize(sctp.GetStatistics()) + " state " + sctp.State : "no sctp";

    // Echo every message back, except on "bulk" channels, which hash what they receive.
    private const string PageScript = """
        () => {
          window.events = [];
          window.dcs = {};
          window.hex = (buf) => Array.from(new Uint8Array(buf)).map(b => b.toString(16).padStart(2, '0')).join('');
          window.setupChannel = (dc) => {
            dc.binaryType = 'arraybuffer';
            dcs[dc.label] = dc;
            dc.onopen = () => events.push('open:' + dc.label);
            dc.onclose = () => events.push('close:' + dc.label);
            if (dc.label === 'bulk') {
              window.bulkChunks = []; window.bulkReceived = 0; window.bulkHash = null;
              dc.onmessage = async (e) => {
                bulkChunks.push(e.data);
                bulkReceived += e.data.byteLength;
                if (bulkReceived === window.bulkExpected) {
                  const all = await new Blob(bulkChunks).arrayBuffer();
                  bulkChunks = [];
                  window.bulkHash = hex(await crypto.subtle.digest('SHA-256', all));
                }
              };
            } else {
              dc.onmessage = (e) => {
                const size = typeof e.data === 'string' ? e.data.length : e.data.byteLength;
                const echo = () => {
                  try {
                    dc.send(e.data);
                    events.push('echo:' + dc.label + ':' + size);
                  } catch (err) {
                    events.push('echo-failed:' + dc.label + ':' + size + ':' + dc.readyState + ':' + err);
                  }
                };
                if (dc.readyState === 'connecting') {
                  // Chromium can fire 'message' before 'open' on a channel it created when the peer answers the
                  // DCEP OPEN with data at once (RFC 8832 allows it); send() would throw until 'open'.
                  events.push('early-message:' + dc.label + ':' + size);
                  dc.addEventListener('open', echo, { once: true });
                } else {
                  echo();
                }
              };
            }
          };
          window.makeDcPc = () => {
            const pc = new RTCPeerConnection();
            pc.ondatachannel = (e) => setupChannel(e.channel);
            window.pc = pc;
            return pc;
          };
          window.gatheredDc = (pc) => new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
          });
          window.sendBulk = async (label, total) => {
            const dc = dcs[label];
            const data = new Uint8Array(total);
            for (let i = 0; i < total; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(total, i + 65536)));
            const hash = hex(await crypto.subtle.digest('SHA-256', data));
            dc.bufferedAmountLowThreshold = 1 << 20;
            for (let i = 0; i < total; i += 65536) {
              if (dc.bufferedAmount > (4 << 20)) await new Promise(r => dc.addEventListener('bufferedamountlow', r, { once: true }));
              dc.send(data.subarray(i, Math.min(total, i + 65536)));
            }
            return hash;
          };
        }
        """;

    private static PeerConnectionOptions Options() => new()
    {
        Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
    };

    private static async Task<IPage> NewPageAsync(ChromiumWebRtc chromium)
    {
        var page = await chromium.NewPageAsync();
        _page = page;
        PageConsole.Clear();
        page.Console += (_, m) => PageConsole.Enqueue(m.Type + ": " + m.Text);
        page.PageError += (_, e) => PageConsole.Enqueue("error: " + e);
        // crypto.subtle needs a secure context: serve an empty page as http://localhost (no server involved).
        await page.RouteAsync("http://localhost/**", route => route.FulfillAsync(new RouteFulfillOptions { Body = "<html></html>", ContentType = "text/html" }));
        await page.GotoAsync("http://localhost/datachannel.html");
        await page.EvaluateAsync(PageScript);
        return page;
    }

    [Fact]
    public async Task Chromium_offers_and_dotnet_answers()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await NewPageAsync(chromium);
        var offer = await page.EvaluateAsync<string>("""
            async () => {
              const pc = makeDcPc();
              setupChannel(pc.createDataChannel('from-chromium'));
              await pc.setLocalDescription(await pc.createOffer());
              await gatheredDc(pc);
              return pc.localDescription.sdp;
            }
            """);
        await using var pc = new PeerConnection(Options());
        _current = pc;
        var opened = Channel.CreateUnbounded<DataChannel>();
        pc.DataChannelOpened += (_, c) => opened.Writer.TryWrite(c);
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(offer, SdpType.Offer));
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        await page.EvaluateAsync("async (sdp) => { await pc.setRemoteDescription({ type: 'answer', sdp }); }", answer.ToString());
        await pc.WaitForSctpAsync().WaitAsync(Timeout);
        Assert.True(pc.IsDtlsClient);

        var fromChromium = await opened.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("from-chromium", fromChromium.Label);
        Assert.Equal(262144, fromChromium.MaxMessageSize);
        await EchoAsync(fromChromium);

        var fromDotnet = pc.CreateDataChannel("from-dotnet");
        Assert.Equal(0, fromDotnet.Id!.Value % 2); // DTLS client: even
        await WaitForEventAsync(page, "open:from-dotnet");
        await EchoAsync(fromDotnet);

        await BulkBothWaysAsync(page, pc, BulkBytes);

        // Close one channel from each side.
        await fromDotnet.CloseAsync().WaitAsync(Timeout);
        await WaitForEventAsync(page, "close:from-dotnet");
        await page.EvaluateAsync("() => dcs['from-chromium'].close()");
        await fromChromium.WhenClosed.WaitAsync(Timeout);
        await WaitForEventAsync(page, "close:from-chromium");
    }

    [Fact]
    public async Task Dotnet_offers_and_chromium_answers()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await NewPageAsync(chromium);
        await using var pc = new PeerConnection(Options());
        _current = pc;
        var opened = Channel.CreateUnbounded<DataChannel>();
        pc.DataChannelOpened += (_, c) => opened.Writer.TryWrite(c);
        var fromDotnet = pc.CreateDataChannel("from-dotnet");
        var offer = await pc.CreateOfferAsync();
        await pc.SetLocalDescriptionAsync(offer);
        var answer = await page.EvaluateAsync<string>("""
            async (sdp) => {
              const pc = makeDcPc();
              await pc.setRemoteDescription({ type: 'offer', sdp });
              await pc.setLocalDescription(await pc.createAnswer());
              await gatheredDc(pc);
              return pc.localDescription.sdp;
            }
            """, offer.ToString());
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(answer, SdpType.Answer));
        await fromDotnet.WhenOpen.WaitAsync(Timeout);
        Assert.False(pc.IsDtlsClient);
        Assert.Equal(1, fromDotnet.Id!.Value % 2); // DTLS server: odd
        await WaitForEventAsync(page, "open:from-dotnet");
        await EchoAsync(fromDotnet);

        await page.EvaluateAsync("() => setupChannel(pc.createDataChannel('from-chromium', { ordered: false }))");
        var fromChromium = await opened.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("from-chromium", fromChromium.Label);
        Assert.False(fromChromium.Ordered);
        Assert.Equal(0, fromChromium.Id!.Value % 2);
        await EchoAsync(fromChromium);

        await BulkBothWaysAsync(page, pc, Math.Min(BulkBytes, 16 << 20)); // the 100 MB run is in the other test: keep the suite short

        await page.EvaluateAsync("() => dcs['from-dotnet'].close()");
        await fromDotnet.WhenClosed.WaitAsync(Timeout);
        await fromChromium.CloseAsync().WaitAsync(Timeout);
        await WaitForEventAsync(page, "close:from-chromium");
        await WaitForEventAsync(page, "close:from-dotnet");
        Console.WriteLine("page events: " + await PageEventsAsync());
    }

    /// <summary>Text and binary messages of 1 byte, 16 KiB, 256 KiB and the negotiated maximum come back intact.</summary>
    private static async Task EchoAsync(DataChannel channel)
    {
        foreach (var size in new[] { 1, 16 * 1024, 256 * 1024 - 1, channel.MaxMessageSize })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            await channel.SendAsync(data);
            DataChannelMessage echo;
            try
            {
                echo = (await channel.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"no echo of {size} bytes on {channel}: {Stats()}; page: {await PageEventsAsync()}");
            }
            using var _ = echo;
            Assert.False(echo.IsText);
            Assert.True(data.AsSpan().SequenceEqual(echo.Data.Span), $"binary echo of {size} bytes differs");
        }
        foreach (var text in new[] { "a", "héllo wörld ✓", new string('x', 16 * 1024) })
        {
            await channel.SendAsync(text);
            using var echo = (await channel.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            Assert.True(echo.IsText);
            Assert.Equal(text, echo.Text);
        }
    }

    /// <summary>A bulk transfer each way on a fresh "bulk" channel; SHA-256 compared on both ends.</summary>
    private static async Task BulkBothWaysAsync(IPage page, PeerConnection pc, int bulkBytes)
    {
        await page.EvaluateAsync("(n) => { window.bulkExpected = n; }", bulkBytes);
        var bulk = pc.CreateDataChannel("bulk");
        await WaitForEventAsync(page, "open:bulk");

        // .NET -> Chromium.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(42);
        var block = new byte[64 * 1024];
        await using (var stream = bulk.AsStream(closeChannelOnDispose: false))
        {
            for (var sent = 0; sent < bulkBytes; sent += block.Length)
            {
                random.NextBytes(block);
                sentHash.AppendData(block);
                await stream.WriteAsync(block);
            }
        }
        try
        {
            await page.WaitForFunctionAsync("() => window.bulkHash !== null", null, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 100 });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Chromium got {await page.EvaluateAsync<long>("() => bulkReceived")} bytes: {Stats()}");
        }
        Assert.Equal(Convert.ToHexStringLower(sentHash.GetHashAndReset()), await page.EvaluateAsync<string>("() => bulkHash"));

        Console.WriteLine($"{bulkBytes >> 20} MiB .NET -> Chromium in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        // Chromium -> .NET.
        using var receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sending = page.EvaluateAsync<string>("(n) => sendBulk('bulk', n)", bulkBytes);
        long received = 0;
        while (received < bulkBytes)
        {
            using var m = (await bulk.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            receivedHash.AppendData(m.Data.Span);
            received += m.Data.Length;
        }
        Assert.Equal(bulkBytes, received);
        Console.WriteLine($"{bulkBytes >> 20} MiB Chromium -> .NET in {clock.Elapsed.TotalSeconds:F1} s (hashing included)");
        Assert.Equal(await sending, Convert.ToHexStringLower(receivedHash.GetHashAndReset()));
        await bulk.CloseAsync().WaitAsync(Timeout);
    }

    private static Task WaitForEventAsync(IPage page, string name) =>
        page.WaitForFunctionAsync("(n) => window.events.includes(n)", name, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 });
}
