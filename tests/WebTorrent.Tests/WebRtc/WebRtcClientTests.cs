using System.Diagnostics.Metrics;
using System.Net;
using MagnetUri;
using WebRtc;
using WebRtc.Ice;
using WebTorrent.Tests.Engine;
using WebTorrent.Tracker;
using WebTorrent.WebRtc;
using SignalingDescription = WebTorrent.Tracker.SessionDescription;

namespace WebTorrent.Tests.WebRtc;

/// <summary>
/// Two <see cref="WebTorrentClient"/>s trading over WebRTC data channels on loopback, signalled through our Bootstrap
/// WebSocket tracker, with TCP discovery off: the download, the limits, closing and leaks.
/// </summary>
public sealed class WebRtcClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static WebTorrentClientOptions Options(CountingUdpSockets sockets, WebRtcPeerOptions? webRtc = null) => new()
    {
        ListenPort = null,
        WebRtc = (webRtc ?? new WebRtcPeerOptions()) with
        {
            Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback], SocketFactory = sockets },
        },
    };

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            while (!condition()) await Task.Delay(20, cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("Timed out waiting until " + what);
        }
    }

    [Fact]
    public async Task Downloader_fetches_a_magnet_from_a_seeder_over_webrtc_through_a_websocket_tracker_then_remove_closes_the_connections()
    {
        await using var tracker = await LoopbackTracker.StartAsync();
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, files) = swarm.WriteContent("shared", 7, ("a.bin", 700_000), ("dir/b.bin", 123_457));
        var seeder = swarm.Client(Options(sockets));
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024, AnnounceList = [[tracker.WebSocket.ToString()]] });
        var downloader = swarm.Client(Options(sockets));
        var magnet = new MagnetLink { InfoHashes = [seed.InfoHash], Trackers = [tracker.WebSocket.ToString()] };

        var seederSaw = new List<PeerInfo>();
        seed.WireConnected += (_, p) => { lock (seederSaw) seederSaw.Add(p); };
        var torrent = await downloader.AddAsync(magnet);
        var downloaderSaw = new List<PeerInfo>();
        torrent.WireConnected += (_, p) => { lock (downloaderSaw) downloaderSaw.Add(p); };
        using (var cts = new CancellationTokenSource(Timeout)) await torrent.WaitForCompletionAsync(cts.Token);

        Swarm.AssertSameFiles(files, Path.Combine(torrent.DownloadFolder, torrent.Name));
        PeerInfo peer;
        lock (downloaderSaw) peer = Assert.Single(downloaderSaw);
        Assert.Equal(PeerTransport.WebRtc, peer.Transport);
        Assert.Null(peer.EndPoint);
        Assert.Equal(seeder.PeerId.ToArray(), peer.PeerId.ToArray());
        lock (seederSaw) Assert.Equal(PeerTransport.WebRtc, Assert.Single(seederSaw).Transport);
        Assert.Equal(700_000 + 123_457, torrent.Downloaded);

        // Removing the torrent closes its peer connections here (its unanswered offers too), and the seeder sees its channel end;
        // the seeder keeps only its own unanswered offers.
        await downloader.RemoveAsync(torrent);
        Assert.Equal(0, downloader.WebRtcPeers!.LiveConnections);
        await WaitUntilAsync(() => seed.Peers.Count == 0 && seeder.WebRtcPeers!.LiveConnections == seeder.WebRtcPeers.HalfOpen,
            "the seeder saw the connection close");
    }

    [Fact]
    public async Task Pausing_closes_the_webrtc_connections_and_resuming_reconnects()
    {
        await using var tracker = await LoopbackTracker.StartAsync();
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, _) = swarm.WriteContent("paused", 8, ("c.bin", 4_000_000));
        var quick = new WebRtcPeerOptions { MinAnnounceInterval = TimeSpan.FromMilliseconds(200), AnnounceInterval = TimeSpan.FromSeconds(1) };
        // A slow seeder, so the download (and its connection) lasts the whole test.
        var seeder = swarm.Client(Options(sockets, quick) with { UploadRateLimit = 64 * 1024 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { AnnounceList = [[tracker.WebSocket.ToString()]] });
        var connections = 0;
        seed.WireConnected += (_, _) => Interlocked.Increment(ref connections);
        var downloader = swarm.Client(Options(sockets, quick));
        var torrent = await downloader.AddAsync(new MagnetLink { InfoHashes = [seed.InfoHash], Trackers = [tracker.WebSocket.ToString()] });
        await WaitUntilAsync(() => torrent.Peers.Count == 1 && seed.Peers.Count == 1, "the peers connected");

        await seed.PauseAsync();
        Assert.Equal(0, seeder.WebRtcPeers!.LiveConnections);
        Assert.Empty(seed.Peers);
        await WaitUntilAsync(() => torrent.Peers.Count == 0, "the downloader saw the channel close");

        // Resumed, the seeder announces again; the downloader's next offers reach it.
        await seed.ResumeAsync();
        await WaitUntilAsync(() => Volatile.Read(ref connections) == 2, "the peers reconnected");
        Assert.False(torrent.State == TorrentState.Seeding, "the download should still be running");
    }

    [Fact]
    public async Task An_offer_flood_stays_within_the_half_open_limit_and_excess_offers_create_no_connection()
    {
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, _) = swarm.WriteContent("flood", 9, ("d.bin", 50_000));
        var client = swarm.Client(Options(sockets, new WebRtcPeerOptions { MaxHalfOpen = 4 }));
        var seed = await client.SeedAsync(path);
        var offer = await CannedOfferAsync();

        var answered = 0;
        var refused = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), async (i, ct) =>
        {
            try
            {
                await client.WebRtcPeers!.CreateAnswerAsync(seed.Metainfo!.InfoHashV1!.Value.ToArray(), PeerId(i), offer, ct);
                Interlocked.Increment(ref answered);
            }
            catch (WebRtcPeerRefusedException)
            {
                Interlocked.Increment(ref refused);
            }
        });

        Assert.Equal(4, answered);
        Assert.Equal(36, refused);
        Assert.Equal(4, client.WebRtcPeers!.HalfOpen);
        Assert.Equal(4, client.WebRtcPeers.LiveConnections);
        // Only the four answered connections ever bound sockets (one per loopback host candidate).
        Assert.Equal(4, sockets.Bound);
    }

    [Fact]
    public async Task An_offer_flood_relayed_by_a_tracker_gets_no_more_answers_than_the_half_open_limit()
    {
        await using var tracker = await LoopbackTracker.StartAsync();
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, _) = swarm.WriteContent("relayed", 10, ("e.bin", 50_000));
        // No offers of its own: its half-open slots are all for the flood.
        var client = swarm.Client(Options(sockets, new WebRtcPeerOptions { MaxHalfOpen = 3, OffersPerAnnounce = 0 }));
        var seed = await client.SeedAsync(path, new SeedOptions { AnnounceList = [[tracker.WebSocket.ToString()]] });
        using var refusals = new RefusalCounter(client);
        var infoHash = seed.Metainfo!.InfoHashV1!.Value.ToArray();
        var flooder = new FloodFactory(await CannedOfferAsync());
        await using var flood = new WebSocketTrackerClient(tracker.WebSocket, flooder, new WebSocketTrackerClientOptions { MaxOffersPerAnnounce = 1 });
        await WaitUntilAsync(() => seed.State == TorrentState.Seeding, "the seeder is up");
        // The seeder must have announced before the flood, or the tracker has no one to relay the offers to.
        await Task.Delay(500);
        // One flooding peer announcing again and again: the tracker relays each offer to the only other peer, the seeder.
        for (var i = 0; i < 12; i++)
        {
            using var cts = new CancellationTokenSource(Timeout);
            await flood.AnnounceAsync(new AnnounceRequest { InfoHash = infoHash, PeerId = PeerId(100), Left = 1, NumWant = 1, Event = i == 0 ? TrackerEvent.Started : TrackerEvent.None }, cts.Token);
        }
        await WaitUntilAsync(() => flooder.Answers + refusals.Total >= 12, "every relayed offer was answered or refused");
        Assert.Equal(3, flooder.Answers);
        Assert.Equal(9, refusals.Total);
        Assert.Equal(3, client.WebRtcPeers!.LiveConnections);
    }

    [Fact]
    public async Task Malformed_sdp_and_answers_to_unknown_offers_are_dropped_without_a_connection()
    {
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, _) = swarm.WriteContent("bad", 11, ("f.bin", 10_000));
        var client = swarm.Client(Options(sockets, new WebRtcPeerOptions { OfferTimeout = TimeSpan.FromMilliseconds(300) }));
        var seed = await client.SeedAsync(path);
        var infoHash = seed.Metainfo!.InfoHashV1!.Value.ToArray();
        var factory = client.WebRtcPeers!;

        var garbage = await Assert.ThrowsAsync<WebRtcPeerRefusedException>(async () =>
            await factory.CreateAnswerAsync(infoHash, PeerId(1), new SignalingDescription("offer", "v=0\r\nthis is not sdp\r\n"), CancellationToken.None));
        Assert.Contains("Malformed offer", garbage.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<WebRtcPeerRefusedException>(async () =>
            await factory.CreateAnswerAsync(infoHash, PeerId(1), new SignalingDescription("answer", (await CannedOfferAsync()).Sdp), CancellationToken.None));
        Assert.Equal(0, sockets.Bound);

        // An offer nobody answers expires and is closed; an answer arriving after that is dropped.
        await using var offer = await factory.CreateOfferAsync(infoHash, CancellationToken.None);
        Assert.Equal(1, factory.HalfOpen);
        await WaitUntilAsync(() => factory.LiveConnections == 0, "the unanswered offer expired", TimeSpan.FromSeconds(10));
        Assert.Equal(0, factory.HalfOpen);
        await offer.AcceptAnswerAsync(PeerId(2), new SignalingDescription("answer", "v=0\r\n"), CancellationToken.None);
        Assert.Equal(0, factory.LiveConnections);

        // A malformed answer to a live offer closes it.
        await using var second = await factory.CreateOfferAsync(infoHash, CancellationToken.None);
        Assert.Equal(1, factory.LiveConnections);
        await Assert.ThrowsAsync<WebRtcPeerRefusedException>(async () =>
            await second.AcceptAnswerAsync(PeerId(3), new SignalingDescription("answer", "not sdp"), CancellationToken.None));
        await WaitUntilAsync(() => factory.LiveConnections == 0 && sockets.Open == 0, "the offer with a malformed answer closed", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Two_hundred_connect_disconnect_cycles_leave_no_peer_connection_or_socket()
    {
        await using var swarm = new Swarm();
        var sockets = new CountingUdpSockets();
        var (path, _) = swarm.WriteContent("cycles", 12, ("g.bin", 20_000));
        var seeder = swarm.Client(Options(sockets));
        var seed = await seeder.SeedAsync(path);
        var leecher = swarm.Client(Options(sockets));
        var torrent = await leecher.AddAsync(new MagnetLink { InfoHashes = [seed.InfoHash] });
        var infoHash = seed.Metainfo!.InfoHashV1!.Value.ToArray();
        var key = Convert.ToHexString(infoHash);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var started = DateTime.UtcNow;
        // Counted by event: once the leecher completes, two seeds may hang up on each other right after connecting.
        var leecherWires = 0;
        var seederWires = 0;
        torrent.WireConnected += (_, p) =>
        {
            Assert.Equal(PeerTransport.WebRtc, p.Transport);
            Interlocked.Increment(ref leecherWires);
        };
        seed.WireConnected += (_, _) => Interlocked.Increment(ref seederWires);

        for (var cycle = 0; cycle < 200; cycle++)
        {
            // Signalling by hand (what a tracker relays): the leecher offers, the seeder answers.
            var offer = await leecher.WebRtcPeers!.CreateOfferAsync(infoHash, cts.Token);
            var answer = await seeder.WebRtcPeers!.CreateAnswerAsync(infoHash, leecher.PeerId, offer.Offer, cts.Token);
            await offer.AcceptAnswerAsync(seeder.PeerId, answer, cts.Token);
            while (Volatile.Read(ref leecherWires) <= cycle || Volatile.Read(ref seederWires) <= cycle) await Task.Delay(2, cts.Token);
            // Alternate which side hangs up.
            await (cycle % 2 == 0 ? leecher.WebRtcPeers : seeder.WebRtcPeers).CloseTorrentAsync(key);
            while (leecher.WebRtcPeers.LiveConnections + seeder.WebRtcPeers.LiveConnections > 0 || torrent.Peers.Count + seed.Peers.Count > 0)
                await Task.Delay(2, cts.Token);
        }

        var elapsed = DateTime.UtcNow - started;
        Assert.Equal(0, sockets.Open);
        Assert.Equal(0, leecher.WebRtcPeers!.HalfOpen + seeder.WebRtcPeers!.HalfOpen);
        Assert.True(sockets.Bound >= 400, $"{sockets.Bound} sockets bound in {elapsed}");
    }

    private static byte[] PeerId(int i)
    {
        var id = new byte[20];
        "-XX0000-"u8.CopyTo(id);
        BitConverter.TryWriteBytes(id.AsSpan(16), i);
        return id;
    }

    /// <summary>A valid non-trickle data-channel offer from a connection that is closed at once (nobody will answer its checks).</summary>
    private static async Task<SignalingDescription> CannedOfferAsync()
    {
        await using var pc = new global::WebRtc.PeerConnection(new PeerConnectionOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } });
        pc.CreateDataChannel("flood");
        var offer = await pc.CreateOfferAsync();
        return new SignalingDescription("offer", offer.ToString());
    }

    /// <summary>Counts <c>webtorrent.webrtc.refused</c> of one client.</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public RefusalCounter(WebTorrentClient client)
        {
            var meter = client.Metrics.Meter;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "webtorrent.webrtc.refused") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A flooding peer: every offer is the same canned SDP; answers are only counted.</summary>
    private sealed class FloodFactory(SignalingDescription offer) : IWebRtcPeerFactory
    {
        private int _answers;

        public int Answers => Volatile.Read(ref _answers);

        public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IWebRtcOffer>(new FloodOffer(offer, this));

        public ValueTask<SignalingDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId, SignalingDescription offer,
            CancellationToken cancellationToken) => throw new InvalidOperationException("The flood only offers.");

        private sealed class FloodOffer(SignalingDescription offer, FloodFactory owner) : IWebRtcOffer
        {
            public SignalingDescription Offer { get; } = offer;

            public ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SignalingDescription answer, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref owner._answers);
                return ValueTask.CompletedTask;
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
