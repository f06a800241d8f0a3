using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>Audit finding 4 through the tracker's request handlers (HTTP, WebSocket messages), without sockets.</summary>
public sealed class TrackerIntegrityTests
{
    private static string Percent(byte[] id) => string.Concat(id.Select(b => $"%{b:x2}"));

    private static byte[] Id(int n) => Enumerable.Range(0, 20).Select(i => (byte)(n + i)).ToArray();

    private static WebTorrentTracker Create(Action<WebTorrentTrackerOptions>? configure = null)
    {
        var options = new WebTorrentTrackerOptions { MessagesPerSecond = 1e9, MessageBurst = 1_000_000 };
        configure?.Invoke(options);
        return new WebTorrentTracker(Options.Create(options));
    }

    private static string HttpAnnounce(WebTorrentTracker tracker, int infoHash, int peerId, string address, string extra = "")
    {
        var output = new ArrayBufferWriter<byte>();
        tracker.HttpAnnounce($"?info_hash={Percent(Id(infoHash))}&peer_id={Percent(Id(peerId))}&port=6881&left=1&compact=1{extra}", IPAddress.Parse(address), output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }

    /// <summary>A WebSocket peer without a socket: keeps what the tracker sends it.</summary>
    private sealed class RecordingPeer(WebTorrentTracker tracker, string address) : TrackerPeer(tracker, AddressKey.From(IPAddress.Parse(address)))
    {
        public List<string> Received { get; } = [];

        public override bool TrySend(OutgoingMessage message)
        {
            Received.Add(Encoding.UTF8.GetString(message.Memory.Span));
            message.Return();
            return true;
        }

        public override void Abort()
        {
        }

        public bool Send(string json) => Tracker.HandleWebSocketMessage(this, Encoding.UTF8.GetBytes(json));

        public string? Failure(int index)
        {
            using var message = JsonDocument.Parse(Received[index]);
            return message.RootElement.TryGetProperty("failure reason", out var reason) ? reason.GetString() : null;
        }
    }

    private static string WsAnnounce(int infoHash, string peerId, string extra = "") =>
        $"{{\"action\":\"announce\",\"info_hash\":{JsonSerializer.Serialize(Encoding.Latin1.GetString(Id(infoHash)))},\"peer_id\":{JsonSerializer.Serialize(peerId)},\"numwant\":1,\"left\":1{extra}}}";

    [Fact]
    public void Http_stopped_from_another_address_leaves_the_peer_alone()
    {
        using var tracker = Create();
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 1, 7, "10.0.0.1"), StringComparison.Ordinal);
        Assert.Contains("peer_id is in use", HttpAnnounce(tracker, 1, 7, "10.0.0.2", "&event=stopped"), StringComparison.Ordinal);
        Assert.Contains("peer_id is in use", HttpAnnounce(tracker, 1, 7, "10.0.0.2"), StringComparison.Ordinal);
        Assert.Equal(1, tracker.GetStats().EndpointPeers);
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 1, 7, "10.0.0.1", "&event=stopped"), StringComparison.Ordinal);
        Assert.Equal(0, tracker.GetStats().EndpointPeers);
    }

    [Fact]
    public void Http_swarm_creation_is_rate_limited_per_address()
    {
        using var tracker = Create(o => o.SwarmCreationBurstPerAddress = 2);
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 1, 7, "10.0.0.1"), StringComparison.Ordinal);
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 2, 7, "10.0.0.1"), StringComparison.Ordinal);
        Assert.Contains("too many new torrents", HttpAnnounce(tracker, 3, 7, "10.0.0.1"), StringComparison.Ordinal);
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 1, 8, "10.0.0.1"), StringComparison.Ordinal); // existing swarm
        Assert.DoesNotContain("failure", HttpAnnounce(tracker, 3, 7, "10.0.0.2"), StringComparison.Ordinal);
        Assert.Equal(3, tracker.GetStats().Swarms);
    }

    [Fact]
    public void Full_scrape_is_refused_unless_enabled()
    {
        foreach (var enabled in new[] { false, true })
        {
            using var tracker = Create(o => o.EnableFullScrape = enabled);
            HttpAnnounce(tracker, 1, 7, "10.0.0.1");
            var output = new ArrayBufferWriter<byte>();
            tracker.HttpScrape("", output);
            var body = Encoding.Latin1.GetString(output.WrittenSpan);
            if (enabled) Assert.Contains(Encoding.Latin1.GetString(Id(1)), body, StringComparison.Ordinal);
            else Assert.Equal("d14:failure reason39:full scrape is disabled: give info_hashe", body);

            var peer = new RecordingPeer(tracker, "10.0.0.1");
            Assert.True(peer.Send("{\"action\":\"scrape\"}"));
            Assert.Equal(enabled ? null : "full scrape is disabled: give info_hash", peer.Failure(0));

            // A scrape that names its info-hash always works.
            output.ResetWrittenCount();
            tracker.HttpScrape($"?info_hash={Percent(Id(1))}", output);
            Assert.Contains("8:completei", Encoding.Latin1.GetString(output.WrittenSpan), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_websocket_peer_id_stays_with_its_socket_and_relays_never_reach_the_impostor()
    {
        using var tracker = Create();
        var victim = new RecordingPeer(tracker, "10.0.0.1");
        var attacker = new RecordingPeer(tracker, "10.0.0.2");
        var offerer = new RecordingPeer(tracker, "10.0.0.3");
        var victimId = new string('v', 20);
        Assert.True(victim.Send(WsAnnounce(1, victimId, ",\"numwant\":0")));
        Assert.Null(victim.Failure(0));

        Assert.True(attacker.Send(WsAnnounce(1, victimId)));
        Assert.Equal("peer_id is in use by another connection", attacker.Failure(0));
        // Nor can it answer as the victim.
        Assert.True(attacker.Send(WsAnnounce(1, victimId, $",\"to_peer_id\":\"{new string('o', 20)}\",\"offer_id\":\"{new string('i', 20)}\",\"answer\":{{\"type\":\"answer\",\"sdp\":\"x\"}}")));
        Assert.Equal("peer_id is in use by another connection", attacker.Failure(1));

        // An offer to the swarm reaches the victim, never the attacker.
        Assert.True(offerer.Send(WsAnnounce(1, new string('o', 20), $",\"offers\":[{{\"offer\":{{\"type\":\"offer\",\"sdp\":\"v=0\"}},\"offer_id\":\"{new string('i', 20)}\"}}]")));
        Assert.Contains(victim.Received, m => m.Contains("\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\"}", StringComparison.Ordinal));
        Assert.Equal(2, attacker.Received.Count);
        Assert.DoesNotContain(offerer.Received, m => m.Contains("answer", StringComparison.Ordinal));
        Assert.Equal(2, tracker.GetStats().WebSocketPeers);
    }

    [Fact]
    public void One_socket_may_announce_only_a_few_peer_ids()
    {
        using var tracker = Create(o => o.MaxPeerIdsPerConnection = 3);
        var peer = new RecordingPeer(tracker, "10.0.0.1");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(peer.Send(WsAnnounce(i, new string((char)('a' + i), 20))));
            Assert.True(peer.Send(WsAnnounce(i + 10, new string((char)('a' + i), 20)))); // the same id in another swarm is no new id
        }
        Assert.All(Enumerable.Range(0, 6), i => Assert.Null(peer.Failure(i)));
        Assert.True(peer.Send(WsAnnounce(1, new string('z', 20))));
        Assert.Equal("too many peer ids on one connection", peer.Failure(6));
        Assert.Equal(6, tracker.GetStats().WebSocketPeers);

        // Stopping one id (in both its swarms) frees its place.
        Assert.True(peer.Send(WsAnnounce(0, new string('a', 20), ",\"event\":\"stopped\"")));
        Assert.True(peer.Send(WsAnnounce(10, new string('a', 20), ",\"event\":\"stopped\"")));
        Assert.True(peer.Send(WsAnnounce(1, new string('z', 20))));
        Assert.Null(peer.Failure(9));
    }

    [Fact]
    public void A_message_that_is_not_utf8_is_refused_and_never_relayed()
    {
        using var tracker = Create();
        var victim = new RecordingPeer(tracker, "10.0.0.1");
        var attacker = new RecordingPeer(tracker, "10.0.0.2");
        Assert.True(victim.Send(WsAnnounce(1, new string('v', 20), ",\"numwant\":0")));
        var hostile = Encoding.UTF8.GetBytes(WsAnnounce(1, new string('x', 20), $",\"offers\":[{{\"offer\":{{\"type\":\"offer\",\"sdp\":\"v=0 XX\"}},\"offer_id\":\"{new string('i', 20)}\"}}]"));
        var at = hostile.AsSpan().IndexOf("XX"u8);
        hostile[at] = 0xFF;
        hostile[at + 1] = 0xC0;
        Assert.True(tracker.HandleWebSocketMessage(attacker, hostile));
        Assert.Equal("invalid UTF-8", attacker.Failure(0));
        Assert.Single(victim.Received); // its own announce reply only
        Assert.Equal(1, tracker.GetStats().WebSocketPeers);
    }
}
