using System.Net;
using WebTorrent.Tracker;

namespace Interop.Tests.Tracker;

/// <summary>The same checks run against npm bittorrent-tracker's server and against ours.</summary>
internal static class TrackerClientScenarios
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static byte[] Id(string text) => System.Text.Encoding.ASCII.GetBytes(text.PadRight(20, '-')[..20]);

    /// <summary>Two peers announce; the second gets the first as a peer; scrape counts both.</summary>
    public static async Task AnnounceAndScrapeAsync(ITrackerClient client, string label)
    {
        var infoHash = Id("swarm-" + label);
        var seeder = new AnnounceRequest { InfoHash = infoHash, PeerId = Id("-WT0001-seeder" + label), Port = 6881, Left = 0, Event = TrackerEvent.Started, NumWant = 10, Key = 1 };
        var first = await client.AnnounceAsync(seeder).WaitAsync(Timeout);
        Assert.True(first.Interval > TimeSpan.Zero);
        Assert.Equal(1, first.Complete);

        var leecher = new AnnounceRequest { InfoHash = infoHash, PeerId = Id("-WT0001-leech" + label), Port = 6882, Left = 1000, Event = TrackerEvent.Started, NumWant = 10, Key = 2 };
        var second = await client.AnnounceAsync(leecher).WaitAsync(Timeout);
        Assert.Equal(1, second.Complete);
        Assert.Equal(1, second.Incomplete);
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 6881), second.Peers);

        var scrape = await client.ScrapeAsync([infoHash]).WaitAsync(Timeout);
        var entry = scrape.Files[Convert.ToHexStringLower(infoHash)];
        Assert.Equal(1, entry.Complete);
        Assert.Equal(1, entry.Incomplete);

        // Completed turns the leecher into a seeder; stopped removes it.
        var completed = await client.AnnounceAsync(leecher with { Left = 0, Event = TrackerEvent.Completed }).WaitAsync(Timeout);
        Assert.Equal(2, completed.Complete);
        Assert.Equal(0, completed.Incomplete);
        await client.AnnounceAsync(leecher with { Left = 0, Event = TrackerEvent.Stopped, NumWant = 0 }).WaitAsync(Timeout);
        scrape = await client.ScrapeAsync([infoHash]).WaitAsync(Timeout);
        Assert.Equal(1, scrape.Files[Convert.ToHexStringLower(infoHash)].Complete);
    }

    /// <summary>Two WebSocket clients in one swarm: the tracker relays B's offer to A and A's answer back to B, matched by offer_id.</summary>
    public static async Task WebSocketRelayAsync(Uri tracker)
    {
        var infoHash = Id("ws-swarm");
        var peerA = Id("-WT0001-peerA");
        var peerB = Id("-WT0001-peerB");
        var factoryA = new FakePeerFactory("A");
        var factoryB = new FakePeerFactory("B");
        await using var clientA = new WebSocketTrackerClient(tracker, factoryA);
        await using var clientB = new WebSocketTrackerClient(tracker, factoryB);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        clientA.Error += (_, e) => errors.Enqueue(e.Error);
        clientB.Error += (_, e) => errors.Enqueue(e.Error);

        var a = await clientA.AnnounceAsync(new AnnounceRequest { InfoHash = infoHash, PeerId = peerA, Left = 0, Event = TrackerEvent.Started, NumWant = 0 }).WaitAsync(Timeout);
        Assert.Equal(1, a.Complete);
        Assert.True(a.Interval > TimeSpan.Zero);
        var b = await clientB.AnnounceAsync(new AnnounceRequest { InfoHash = infoHash, PeerId = peerB, Left = 100, Event = TrackerEvent.Started, NumWant = 1 }).WaitAsync(Timeout);
        Assert.Equal(1, b.Complete);
        Assert.Equal(1, b.Incomplete);

        var (answerer, answer) = await factoryB.AnswerAccepted.Task.WaitAsync(Timeout);
        Assert.Equal(peerA, answerer);
        Assert.Equal("answer", answer.Type);
        Assert.Contains("A answers 1", answer.Sdp, StringComparison.Ordinal);
        Assert.True(factoryA.OffersAnswered.TryDequeue(out var offered));
        Assert.Equal(peerB, offered.RemotePeerId);
        Assert.Equal("v=0\r\no=- B offer 1\r\n", offered.Offer.Sdp);

        var scrape = await clientB.ScrapeAsync([infoHash]).WaitAsync(Timeout);
        Assert.Equal(1, scrape.Files[Convert.ToHexStringLower(infoHash)].Complete);
        Assert.Empty(errors);
    }
}
