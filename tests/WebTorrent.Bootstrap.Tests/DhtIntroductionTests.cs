using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Tracker;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>
/// <c>POST /offer</c> through <see cref="OfferRelayClient"/> against the tracker in Kestrel on 127.0.0.1, with DHT nodes and
/// swarm peers played by our <see cref="WebSocketTrackerClient"/> (answers are marker texts: the relay, not WebRTC, is tested).
/// </summary>
public sealed class DhtIntroductionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Offer = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nOFFER\"}";

    private static Task<TestTrackerHost> StartAsync(Action<WebTorrentTrackerOptions>? configure = null, bool fastPath = true) =>
        TestTrackerHost.StartAsync(fastPath, o =>
        {
            o.OfferAnswerTimeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(o);
        });

    /// <summary>A DHT node's (or swarm peer's) WebRTC side as a marker: answers name the node; it never offers.</summary>
    private sealed class MarkerFactory(string name) : IWebRtcPeerFactory
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Hold { get; init; }

        public int OffersSeen;

        public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("These peers only answer.");

        public async ValueTask<Tracker.SessionDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId,
            Tracker.SessionDescription offer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref OffersSeen);
            if (Hold) await Release.Task.WaitAsync(cancellationToken);
            return new Tracker.SessionDescription("answer", $"v=0\r\nANSWER {name} TO {offer.Sdp.Split("\r\n")[1]}");
        }
    }

    private static byte[] NodeId(byte first)
    {
        var id = new byte[20];
        id[0] = first;
        id[19] = 0x42;
        return id;
    }

    private static async Task<WebSocketTrackerClient> JoinAsync(TestTrackerHost server, byte[] infoHash, byte[] peerId, IWebRtcPeerFactory factory)
    {
        var client = new WebSocketTrackerClient(server.WebSocket, factory);
        using var cts = new CancellationTokenSource(Timeout);
        await client.AnnounceAsync(new AnnounceRequest { InfoHash = infoHash, PeerId = peerId, NumWant = 0, Left = 0, Event = TrackerEvent.Started }, cts.Token);
        return client;
    }

    [Fact]
    public void Rendezvous_info_hash_is_the_sha1_of_webtorrent_dht_on_both_sides()
    {
        var sha1 = SHA1.HashData("webtorrent-dht"u8);
        Assert.Equal(sha1, DhtIntroductions.RendezvousInfoHash.ToArray());
        Assert.Equal(DhtIntroductions.RendezvousInfoHashHex, Convert.ToHexStringLower(sha1));
        Assert.Equal(WebTorrentTrackerOptions.DefaultDhtRendezvousInfoHash, Convert.ToHexStringLower(sha1));
        Assert.Equal(WebTorrentTrackerOptions.DefaultDhtRendezvousInfoHash, new WebTorrentTrackerOptions().DhtRendezvousInfoHash);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Dht_offer_goes_to_the_xor_closest_node_and_returns_its_answer(bool fastPath)
    {
        await using var server = await StartAsync(fastPath: fastPath);
        var rendezvous = DhtIntroductions.RendezvousInfoHash.ToArray();
        byte[] low = NodeId(0x10), high = NodeId(0xe0);
        MarkerFactory lowNode = new("low"), highNode = new("high");
        await using var a = await JoinAsync(server, rendezvous, low, lowNode);
        await using var b = await JoinAsync(server, rendezvous, high, highNode);
        using var relay = new OfferRelayClient(server.OfferEndpoint);
        using var cts = new CancellationTokenSource(Timeout);

        var target = NodeId(0xf0); // 0xf0 ^ 0xe0 = 0x10 < 0xf0 ^ 0x10 = 0xe0
        var answer = await relay.PostDhtOfferAsync(target, Offer, cts.Token);
        Assert.NotNull(answer);
        Assert.Equal(high, answer.PeerId.ToArray());
        Assert.Equal(rendezvous, answer.InfoHash.ToArray());
        Assert.Equal(20, answer.OfferId.Length);
        Assert.Equal("answer", answer.Answer.Type);
        Assert.Equal("v=0\r\nANSWER high TO OFFER", answer.Answer.Sdp);

        answer = await relay.PostDhtOfferAsync(NodeId(0x00), new Tracker.SessionDescription("offer", "v=0\r\nSECOND"), cts.Token);
        Assert.Equal(low, answer!.PeerId.ToArray());
        Assert.Equal("v=0\r\nANSWER low TO SECOND", answer.Answer.Sdp);

        // No target: any node.
        answer = await relay.PostDhtOfferAsync(null, Offer, cts.Token);
        Assert.Contains(Convert.ToHexString(answer!.PeerId.Span), new[] { Convert.ToHexString(low), Convert.ToHexString(high) });
        Assert.Equal(3, lowNode.OffersSeen + highNode.OffersSeen);

        // The rendezvous is an ordinary swarm in the stats, and its WebSocket-only nodes are never handed to HTTP announces.
        var stats = server.Tracker.GetStats();
        Assert.Equal(1, stats.Swarms);
        Assert.Equal(2, stats.WebSocketPeers);
        using var http = new HttpClient { BaseAddress = server.Http };
        var announce = await http.GetByteArrayAsync(
            $"/announce?info_hash={string.Concat(rendezvous.Select(x => $"%{x:X2}"))}&peer_id={new string('p', 20)}&port=6881&left=100&compact=1",
            cts.Token);
        var dictionary = Bencode.BencodeSerializer.DecodeDictionary(announce);
        Assert.Equal(0, dictionary.Get<Bencode.BencodeString>("peers")?.Length ?? 0);
        Assert.Equal(2, dictionary.GetInt64("complete")); // the two nodes are counted, not listed
    }

    [Fact]
    public async Task Dht_offer_skips_a_closer_node_that_cannot_take_it()
    {
        await using var server = await StartAsync();
        var rendezvous = DhtIntroductions.RendezvousInfoHash.ToArray();
        var node = new MarkerFactory("reachable");
        await using var reachable = await JoinAsync(server, rendezvous, NodeId(0x80), node);

        // Closer to the target than the reachable node: two whose send queue is full (TrySend refuses).
        Assert.True(server.Tracker.Swarms.TryGet(new Id20(rendezvous), out var swarm));
        var full = new RefusingEndpoint();
        swarm.AnnounceWebSocket(new Id20(NodeId(0x01)), full, AnnounceEvent.Started, true, server.Tracker.Now, out _);
        swarm.AnnounceWebSocket(new Id20(NodeId(0x03)), full, AnnounceEvent.Started, true, server.Tracker.Now, out _);

        using var relay = new OfferRelayClient(server.OfferEndpoint);
        using var cts = new CancellationTokenSource(Timeout);
        var answer = await relay.PostDhtOfferAsync(new byte[20], Offer, cts.Token);
        Assert.Equal(NodeId(0x80), answer!.PeerId.ToArray());
        Assert.Equal(2, full.Attempts);

        // Bounded: with more unreachable nodes closer than OfferRelayAttempts (4), the reachable one is never tried.
        for (byte i = 4; i < 8; i++) swarm.AnnounceWebSocket(new Id20(NodeId(i)), full, AnnounceEvent.Started, true, server.Tracker.Now, out _);
        Assert.Null(await relay.PostDhtOfferAsync(new byte[20], Offer, cts.Token));
        Assert.Equal(6, full.Attempts);
        Assert.Equal(1, node.OffersSeen);
    }

    private sealed class RefusingEndpoint : ISignalingEndpoint
    {
        public int Attempts;

        public bool TrySend(OutgoingMessage message)
        {
            Interlocked.Increment(ref Attempts);
            message.Return();
            return false;
        }
    }

    [Fact]
    public async Task Info_hash_offer_through_the_client_gets_a_swarm_peers_answer()
    {
        await using var server = await StartAsync();
        var infoHash = SHA1.HashData("some torrent"u8);
        var seeder = NodeId(0x33);
        await using var peer = await JoinAsync(server, infoHash, seeder, new MarkerFactory("seeder"));
        using var relay = new OfferRelayClient(server.OfferEndpoint);
        using var cts = new CancellationTokenSource(Timeout);

        var answer = await relay.PostOfferAsync(infoHash, Offer, cts.Token);
        Assert.Equal(seeder, answer!.PeerId.ToArray());
        Assert.Equal(infoHash, answer.InfoHash.ToArray());
        Assert.Equal("v=0\r\nANSWER seeder TO OFFER", answer.Answer.Sdp);

        Assert.Null(await relay.PostOfferAsync(new byte[20], Offer, cts.Token)); // unknown swarm: 404
        Assert.Null(await relay.PostDhtOfferAsync(null, Offer, cts.Token));       // no DHT node registered: 404
        await Assert.ThrowsAsync<ArgumentException>(() => relay.PostOfferAsync(new byte[19], Offer, cts.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => relay.PostDhtOfferAsync(new byte[21], Offer, cts.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => relay.PostOfferAsync(infoHash, "{not json", cts.Token));
        // An offer the server refuses (no sdp): 400, surfaced as the server's failure reason.
        var refused = await Assert.ThrowsAsync<TrackerException>(() => relay.PostOfferAsync(infoHash, "{\"type\":\"offer\"}", cts.Token));
        Assert.True(refused.IsFailureReason);
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"dht\":true,\"info_hash\":\"d9f15a5e680fb5bec6a88aa29fa48b92f6541a12\",\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", "not both or neither")]
    [InlineData("{\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", "not both or neither")]
    [InlineData("{\"dht\":false,\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", "not both or neither")]
    [InlineData("{\"dht\":true,\"target\":\"abc\",\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", "target must be 40 hex digits")]
    [InlineData("{\"dht\":true,\"offer\":\"v=0\"}", "offer must be a JSON object")]
    [InlineData("{\"dht\":\"yes\",\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", "The body must be")]
    public async Task Bad_bodies_are_400_with_a_clear_message(string body, string message)
    {
        await using var server = await StartAsync();
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await http.PostAsync(server.OfferEndpoint, new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        Assert.Contains(message, error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Disabled_dht_introductions_are_404_and_null(string? rendezvous)
    {
        await using var server = await StartAsync(o => o.DhtRendezvousInfoHash = rendezvous);
        // A peer announcing to the well-known hash is then just a swarm member: no introduction reaches it.
        var node = new MarkerFactory("node");
        await using var member = await JoinAsync(server, DhtIntroductions.RendezvousInfoHash.ToArray(), NodeId(1), node);
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await http.PostAsync(server.OfferEndpoint,
            new StringContent("{\"dht\":true,\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", Encoding.UTF8, "application/json"), cts.Token);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("DHT introductions are disabled", await response.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);

        using var relay = new OfferRelayClient(server.OfferEndpoint);
        Assert.Null(await relay.PostDhtOfferAsync(null, Offer, cts.Token));
        Assert.Null(await server.Tracker.RelayDhtOfferAsync(null, Offer, cts.Token));
        Assert.Equal(0, node.OffersSeen);
        Assert.Throws<ArgumentException>(() => new WebTorrentTrackerOptions { DhtRendezvousInfoHash = "xyz" }.Validate());
    }

    [Fact]
    public async Task Too_many_pending_offers_is_a_503_tracker_exception()
    {
        await using var server = await StartAsync(o => o.MaxPendingOffers = 1);
        var node = new MarkerFactory("slow") { Hold = true };
        await using var member = await JoinAsync(server, DhtIntroductions.RendezvousInfoHash.ToArray(), NodeId(9), node);
        using var relay = new OfferRelayClient(server.OfferEndpoint);
        using var cts = new CancellationTokenSource(Timeout);

        var first = relay.PostDhtOfferAsync(null, Offer, cts.Token);
        while (node.OffersSeen == 0) await Task.Delay(10, cts.Token); // the first offer is relayed and waiting
        var busy = await Assert.ThrowsAsync<TrackerException>(() => relay.PostDhtOfferAsync(null, Offer, cts.Token));
        Assert.Contains("503", busy.Message, StringComparison.Ordinal);
        Assert.True(busy.IsFailureReason);

        node.Release.SetResult();
        Assert.Equal(NodeId(9), (await first.WaitAsync(cts.Token))!.PeerId.ToArray());
    }

    [Theory]
    [InlineData("*", "https://app.example", "*")]
    [InlineData("https://other.example, https://app.example", "https://app.example", "https://app.example")]
    [InlineData("https://other.example", "https://app.example", null)]
    [InlineData("", "https://app.example", null)]
    public async Task Cross_origin_pages_may_post_offers_when_their_origin_is_allowed(string allowed, string origin, string? expected)
    {
        await using var server = await StartAsync(o => o.OfferAllowedOrigins = allowed, fastPath: true);
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);

        using var preflight = new HttpRequestMessage(HttpMethod.Options, server.OfferEndpoint);
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using (var response = await http.SendAsync(preflight, cts.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(expected, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null);
            if (expected is not null)
            {
                Assert.Equal("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
                Assert.Equal("content-type", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
            }
        }

        using var post = new HttpRequestMessage(HttpMethod.Post, server.OfferEndpoint)
        {
            Content = new StringContent("{\"dht\":true,\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}", Encoding.UTF8, "application/json"),
        };
        post.Headers.Add("Origin", origin);
        using (var response = await http.SendAsync(post, cts.Token))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // no node: the answer, not the headers, is what differs
            Assert.Equal(expected, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null);
        }
    }
}
