using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Interop.Tests.WebRtc;
using Microsoft.Playwright;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebTorrent.Dht;
using WebTorrent.Dht.Krpc;
using WebTorrent.Interop.Tests.Protocol;
using WebTorrent.Tracker;
using RtcDescription = WebRtc.Sdp.SessionDescription;
using SdpType = WebRtc.Sdp.SdpType;
using SignalingDescription = WebTorrent.Tracker.SessionDescription;

namespace Interop.Tests.Bootstrap;

/// <summary>
/// <c>POST /offer</c> of OUR bootstrap server with real peers: a headless Chromium page reaches a C# WebRTC DHT node through
/// a DHT introduction, and a C# WebRTC-only client joins a browser WebTorrent swarm and downloads from it.
/// </summary>
public sealed class OfferEndpointTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static PeerConnectionOptions LoopbackOnly() => new() { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } };

    /// <summary>
    /// A WebRTC DHT node as a DHT introduction reaches it: it answers offers relayed by the tracker with our PeerConnection
    /// and answers KRPC pings arriving on the data channel with its node id (encoded by WebTorrent.Dht's KrpcWriter).
    /// </summary>
    private sealed class WebRtcDhtNode(byte[] nodeId) : IWebRtcPeerFactory, IAsyncDisposable
    {
        private readonly ConcurrentBag<PeerConnection> _connections = [];

        public byte[] NodeId { get; } = nodeId;

        public ConcurrentQueue<string> Log { get; } = new();

        public int PingsAnswered;

        public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A DHT node waiting for introductions only answers.");

        public async ValueTask<SignalingDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId,
            SignalingDescription offer, CancellationToken cancellationToken)
        {
            var pc = new PeerConnection(LoopbackOnly());
            _connections.Add(pc);
            pc.DataChannelOpened += (_, channel) => _ = ServeKrpcAsync(channel);
            await pc.SetRemoteDescriptionAsync(RtcDescription.Parse(offer.Sdp, SdpType.Offer), cancellationToken);
            var answer = await pc.CreateAnswerAsync(cancellationToken);
            await pc.SetLocalDescriptionAsync(answer, cancellationToken);
            Log.Enqueue($"answered an offer from {Convert.ToHexStringLower(remotePeerId.Span)}");
            return new SignalingDescription("answer", answer.ToString());
        }

        private async Task ServeKrpcAsync(DataChannel channel)
        {
            var id = new NodeId(NodeId);
            var output = new ArrayBufferWriter<byte>(256);
            try
            {
                while (await channel.ReceiveAsync() is { } received)
                {
                    using var message = received;
                    output.ResetWrittenCount();
                    if (!Respond(message.Data.Span, id, output)) continue;
                    await channel.SendAsync(output.WrittenMemory);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or PeerConnectionException or ObjectDisposedException)
            {
                Log.Enqueue("channel: " + e.Message);
            }
        }

        private bool Respond(ReadOnlySpan<byte> datagram, NodeId id, ArrayBufferWriter<byte> output)
        {
            if (!KrpcParser.TryParse(datagram, out var query, out var error) || query.Type != KrpcMessageType.Query)
            {
                Log.Enqueue($"not a KRPC query ({error}): {Convert.ToHexString(datagram)}");
                if (query.TransactionId.IsEmpty) return false;
                KrpcWriter.WriteError(output, query.TransactionId, KrpcErrorCode.Protocol, "malformed"u8);
                return true;
            }
            if (query.Query != KrpcQueryType.Ping)
            {
                KrpcWriter.WriteError(output, query.TransactionId, KrpcErrorCode.MethodUnknown, "only ping here"u8);
                return true;
            }
            KrpcWriter.WriteResponse(output, query.TransactionId, id, default(KrpcResponseFields));
            Interlocked.Increment(ref PingsAnswered);
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pc in _connections) await pc.DisposeAsync();
        }
    }

    private static byte[] Id(byte first, byte last)
    {
        var id = new byte[20];
        id[0] = first;
        id[19] = last;
        return id;
    }

    /// <summary>
    /// Opens the host's page, a secure context (loopback) for WebTorrent's crypto.subtle: at http://127.0.0.1:port, the
    /// origin of POST /offer, or with <paramref name="crossOrigin"/> at http://localhost:port, another origin (CORS).
    /// </summary>
    private static async Task<IPage> OpenTrackerPageAsync(ChromiumWebRtc chromium, TrackerTestHost host, ConcurrentQueue<string> log, bool crossOrigin = false)
    {
        var page = await chromium.NewPageAsync();
        page.Console += (_, m) => log.Enqueue("[page] " + m.Text);
        var origin = crossOrigin ? new UriBuilder(host.HttpUri) { Host = "localhost" }.Uri : host.HttpUri;
        await page.GotoAsync(new Uri(origin, "/page.html").ToString());
        await page.WaitForFunctionAsync("() => window.ready === true", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        return page;
    }

    // The page's side of a DHT introduction: a plain RTCPeerConnection, fetch POST /offer (cross-origin) with dht:true, then a KRPC
    // ping bencoded by hand over the data channel; the pong's id is read back out of the reply.
    private const string DhtIntroductionScript = """
        async ([offerUrl, target]) => {
          const pc = new RTCPeerConnection();
          const dc = pc.createDataChannel('dht');
          dc.binaryType = 'arraybuffer';
          const opened = new Promise(resolve => dc.onopen = resolve);
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
          });
          const res = await fetch(offerUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ dht: true, target, offer: { type: 'offer', sdp: pc.localDescription.sdp } }),
          });
          if (res.status !== 200) { pc.close(); return JSON.stringify({ status: res.status, body: await res.text() }); }
          const intro = await res.json();
          await pc.setRemoteDescription(intro.answer);
          const timeout = (what) => new Promise((_, reject) => setTimeout(() => reject(new Error(what + ' (' + pc.connectionState + ')')), 40000));
          await Promise.race([opened, timeout('the data channel did not open')]);
          const ascii = (s) => Array.from(s, c => c.charCodeAt(0));
          const myId = crypto.getRandomValues(new Uint8Array(20));
          const ping = new Uint8Array([...ascii('d1:ad2:id20:'), ...myId, ...ascii('e1:q4:ping1:t2:pg1:y1:qe')]);
          const pong = await Promise.race([
            new Promise(resolve => { dc.onmessage = e => resolve(new Uint8Array(e.data)); dc.send(ping); }),
            timeout('no KRPC reply')]);
          const text = String.fromCharCode(...pong);
          const at = text.indexOf('2:id20:');
          const hex = (bytes) => Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
          pc.close();
          return JSON.stringify({
            status: 200, info_hash: intro.info_hash, peer_id: intro.peer_id,
            pong_id: at < 0 ? null : hex(pong.slice(at + 7, at + 27)),
            is_pong: text.startsWith('d1:rd') && text.includes('1:t2:pg') && text.endsWith('1:y1:re'),
            pong: text.replace(/[^\x20-\x7e]/g, '.'),
          });
        }
        """;

    [Fact]
    public async Task Browser_reaches_the_xor_closest_dotnet_dht_node_through_a_dht_introduction()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var log = new ConcurrentQueue<string>();
        // The page is served from another origin than the endpoint's: the browser's CORS preflight must pass too.
        var page = await OpenTrackerPageAsync(chromium, host, log, crossOrigin: true);
        var offerUrl = new Uri(host.HttpUri, "/offer").ToString();
        Assert.NotEqual(new Uri(page.Url).Authority, new Uri(offerUrl).Authority);

        // Two C# DHT nodes register at the rendezvous with their node id as peer id (numwant 0: no offers of their own).
        await using var low = new WebRtcDhtNode(Id(0x10, 0x01));
        await using var high = new WebRtcDhtNode(Id(0xe0, 0x02));
        var trackers = new List<WebSocketTrackerClient>();
        try
        {
            foreach (var node in new[] { low, high })
            {
                var tracker = new WebSocketTrackerClient(new Uri(host.WebSocketUrl), node);
                trackers.Add(tracker);
                tracker.Error += (_, e) => log.Enqueue($"[tracker {Convert.ToHexStringLower(node.NodeId)}] {e.Error.Message}");
                using var cts = new CancellationTokenSource(Timeout);
                await tracker.AnnounceAsync(new AnnounceRequest
                {
                    InfoHash = DhtIntroductions.RendezvousInfoHash.ToArray(),
                    PeerId = node.NodeId,
                    NumWant = 0,
                    Left = 0,
                    Event = TrackerEvent.Started,
                }, cts.Token);
            }

            // A target near each node in turn: the introduction goes to the XOR-closer one, and its pong carries its id.
            foreach (var (target, expected) in new[] { (Id(0xf1, 0xff), high), (Id(0x00, 0xff), low) })
            {
                var json = await page.EvaluateAsync<string>(DhtIntroductionScript, new object[] { offerUrl, Convert.ToHexStringLower(target) });
                string Diagnostics() => json + "\n" + string.Join('\n', log) + "\nnode logs:\n" + string.Join('\n', low.Log.Concat(high.Log))
                    + "\nstats: " + host.Tracker.GetStats();
                using var result = JsonDocument.Parse(json);
                var root = result.RootElement;
                Assert.True(root.GetProperty("status").GetInt32() == 200, Diagnostics());
                Assert.Equal(DhtIntroductions.RendezvousInfoHashHex, root.GetProperty("info_hash").GetString());
                Assert.True(Convert.ToHexStringLower(expected.NodeId) == root.GetProperty("peer_id").GetString(), Diagnostics());
                Assert.True(root.GetProperty("is_pong").GetBoolean(), Diagnostics());
                Assert.Equal(root.GetProperty("peer_id").GetString(), root.GetProperty("pong_id").GetString());
            }
            Assert.Equal(1, low.PingsAnswered);
            Assert.Equal(1, high.PingsAnswered);
        }
        finally
        {
            foreach (var tracker in trackers) await tracker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Dotnet_webrtc_only_client_downloads_from_a_browser_swarm_through_post_offer()
    {
        await using var host = await TrackerTestHost.StartAsync();
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var log = new ConcurrentQueue<string>();
        var page = await OpenTrackerPageAsync(chromium, host, log);

        // The browser seeds generated bytes with only our server as tracker (as BrowserSwarmTests' seeder does).
        const int size = 1_000_003;
        var seedJson = await page.EvaluateAsync<string>(@"([size, announce]) => new Promise((resolve, reject) => {
            const client = new window.WebTorrent({ dht: false, lsd: false, utPex: false });
            client.on('error', e => reject(String(e)));
            const data = new Uint8Array(size);
            for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 255;
            client.seed(new File([data], 'generated.bin'), { announce: [announce] }, t => {
              t.on('wire', w => console.log('wire ' + w.type + ' ' + w.peerId));
              resolve(JSON.stringify({ infoHash: t.infoHash, peerId: client.peerId, pieceLength: t.pieceLength }));
            });
        })", new object[] { size, host.WebSocketUrl });
        using var seed = JsonDocument.Parse(seedJson);
        var infoHash = Convert.FromHexString(seed.RootElement.GetProperty("infoHash").GetString()!);
        var browserPeerId = seed.RootElement.GetProperty("peerId").GetString()!;

        // Wait for the browser's announce to register it as a WebSocket peer of the swarm.
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (host.Tracker.GetStats().WebSocketPeers < 1) await Task.Delay(50, cts.Token);
        }

        // Our WebRTC-only client: one data channel, a complete (non-trickle) offer, posted; the browser's WebTorrent answers.
        await using var pc = new PeerConnection(LoopbackOnly());
        var channel = pc.CreateDataChannel("webtorrent");
        var offer = await pc.CreateOfferAsync();
        await pc.SetLocalDescriptionAsync(offer);
        using var relay = new OfferRelayClient(new Uri(host.HttpUri, "/offer"));
        RelayedAnswer? answer;
        using (var cts = new CancellationTokenSource(Timeout))
            answer = await relay.PostOfferAsync(infoHash, new SignalingDescription("offer", offer.ToString()), cts.Token);
        string Diagnostics() => string.Join('\n', log) + "\nstats: " + host.Tracker.GetStats() + $"\npc: {pc.ConnectionState}/{pc.IceConnectionState}";
        Assert.True(answer is not null, "no answer from the browser: " + Diagnostics());
        Assert.Equal(infoHash, answer.InfoHash.ToArray());
        Assert.Equal(browserPeerId, Convert.ToHexStringLower(answer.PeerId.Span));

        await pc.SetRemoteDescriptionAsync(RtcDescription.Parse(answer.Answer.Sdp, SdpType.Answer));
        try
        {
            await channel.WhenOpen.WaitAsync(Timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException("the data channel did not open: " + Diagnostics(), e);
        }

        // BitTorrent over the channel: handshake, extended handshake, the metadata by ut_metadata (checked against the
        // info-hash), then every piece, each checked against its SHA-1.
        await using var wire = await ProtocolInterop.DownloadAllOverAsync(channel.AsStream(), infoHash);
        Assert.Equal(size, wire.Layout!.Value.TotalLength);
        Assert.True(wire.Downloaded >= size, $"downloaded {wire.Downloaded} bytes");
        Assert.Contains(log, line => line.Contains("wire webrtc", StringComparison.Ordinal));
    }
}
