using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using WebTorrent.Tracker;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>
/// Issue 13's hostile swarm peer against our own server on both its paths: one announce whose offer has no <c>sdp</c>,
/// relayed verbatim, used to silence every <see cref="WebSocketTrackerClient"/> it reached. The victim must skip it and
/// keep answering offers and announcing.
/// </summary>
public sealed class HostileSwarmPeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly byte[] InfoHash = Enumerable.Repeat((byte)'h', 20).ToArray();

    /// <summary>Offers and answers with marker text (the relay and the client are tested, not WebRTC).</summary>
    private sealed class MarkerFactory(string name) : IWebRtcPeerFactory
    {
        public ConcurrentQueue<SessionDescription> AnswersAccepted { get; } = new();

        public ConcurrentQueue<SessionDescription> OffersAnswered { get; } = new();

        public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IWebRtcOffer>(new MarkerOffer(this, new SessionDescription("offer", $"v=0\r\nOFFER FROM {name}")));

        public ValueTask<SessionDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId, SessionDescription offer,
            CancellationToken cancellationToken)
        {
            OffersAnswered.Enqueue(offer);
            return ValueTask.FromResult(new SessionDescription("answer", $"v=0\r\nANSWER FROM {name}"));
        }

        private sealed class MarkerOffer(MarkerFactory owner, SessionDescription offer) : IWebRtcOffer
        {
            public SessionDescription Offer { get; } = offer;

            public ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SessionDescription answer, CancellationToken cancellationToken)
            {
                owner.AnswersAccepted.Enqueue(answer);
                return ValueTask.CompletedTask;
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static AnnounceRequest Request(char peer, int numWant) => new()
    {
        InfoHash = InfoHash, PeerId = Enumerable.Repeat((byte)peer, 20).ToArray(), NumWant = numWant, Left = 0, Event = TrackerEvent.Started,
    };

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_relayed_offer_without_sdp_is_skipped_and_the_victim_keeps_working(bool fastPath)
    {
        await using var host = await TestTrackerHost.StartAsync(fastPath);
        using var cts = new CancellationTokenSource(Timeout);
        var victimFactory = new MarkerFactory("victim");
        await using var victim = new WebSocketTrackerClient(host.WebSocket, victimFactory);
        var errors = new ConcurrentQueue<TrackerErrorEventArgs>();
        victim.Error += (_, e) => errors.Enqueue(e);
        await victim.AnnounceAsync(Request('v', 0), cts.Token);

        using var attacker = new ClientWebSocket();
        await attacker.ConnectAsync(host.WebSocket, cts.Token);
        var hostile = $"{{\"action\":\"announce\",\"info_hash\":\"{new string('h', 20)}\",\"peer_id\":\"{new string('x', 20)}\",\"numwant\":1,\"left\":0,\"offers\":[{{\"offer\":{{\"type\":\"offer\"}},\"offer_id\":\"{new string('o', 20)}\"}}]}}";
        Assert.Equal(182, Encoding.UTF8.GetByteCount(hostile));
        await attacker.SendAsync(Encoding.UTF8.GetBytes(hostile), WebSocketMessageType.Text, true, cts.Token);
        await WaitForAsync(() => errors.Any(e => e.Error.Message.Contains("without a type and sdp", StringComparison.Ordinal)));

        // An honest peer offers to everyone: the victim answers it over the same tracker connection.
        var honestFactory = new MarkerFactory("honest");
        await using var honest = new WebSocketTrackerClient(host.WebSocket, honestFactory);
        await honest.AnnounceAsync(Request('n', 5), cts.Token);
        await WaitForAsync(() => honestFactory.AnswersAccepted.Any(a => a.Sdp == "v=0\r\nANSWER FROM victim"));
        Assert.Contains(victimFactory.OffersAnswered, o => o.Sdp == "v=0\r\nOFFER FROM honest");

        // And its own announces are still answered.
        var again = await victim.AnnounceAsync(Request('v', 0) with { Event = TrackerEvent.None }, cts.Token);
        Assert.Equal(3, again.Complete);
        Assert.True(victim.IsConnected);
    }
}
