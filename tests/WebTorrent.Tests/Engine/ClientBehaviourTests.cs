using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Discovery;
using WebTorrent.Engine;

namespace WebTorrent.Tests.Engine;

public sealed class ClientBehaviourTests
{
    [Fact]
    public async Task Peers_learned_by_PEX_are_dialled()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("pex", 12, ("p.bin", 2_000_000));
        var options = new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0, PexInterval = TimeSpan.FromSeconds(1) };
        var seeder = swarm.Client(options with { UploadRateLimit = 400_000 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        var first = await swarm.Client(options).AddAsync(seed.Metainfo!, new AddTorrentOptions { Peers = [seeder.ListenEndPoint!] });
        var second = await swarm.Client(options).AddAsync(seed.Metainfo!, new AddTorrentOptions { Peers = [seeder.ListenEndPoint!] });
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        // The seeder tells each leecher about the other; one of them dials the other.
        while (!first.Peers.Concat(second.Peers).Any(p => p.Source == PeerSource.Pex)) await Task.Delay(20, cts.Token);
        await Task.WhenAll(first.WaitForCompletionAsync(cts.Token), second.WaitForCompletionAsync(cts.Token));
        Swarm.AssertSameFiles(files, Path.Combine(first.DownloadFolder, "pex"));
        Swarm.AssertSameFiles(files, Path.Combine(second.DownloadFolder, "pex"));
    }

    [Fact]
    public async Task Pause_drops_the_peers_and_resume_continues_the_download()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("pause", 13, ("q.bin", 1_000_000));
        var seed = await swarm.Client(new WebTorrentClientOptions { ListenPort = null, UploadRateLimit = 1_000_000 })
            .SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        var leech = await swarm.Client().AddAsync(seed.Metainfo!, new AddTorrentOptions { Paused = true });
        Assert.Equal(TorrentState.Paused, leech.State);
        var (pipe, _) = TestSupport.DuplexPipePair.Create();
        await Assert.ThrowsAsync<InvalidOperationException>(() => leech.AddPeerAsync(pipe, outgoing: true));
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.ResumeAsync(cts.Token);
        Assert.Equal(TorrentState.Downloading, leech.State);
        await Swarm.ConnectAsync(leech, seed);
        while (leech.Progress < 0.1) await Task.Delay(10, cts.Token);
        await leech.PauseAsync(cts.Token);
        Assert.Equal(TorrentState.Paused, leech.State);
        Assert.Empty(leech.Peers);
        var progress = leech.Progress;
        while (seed.Peers.Count > 0) await Task.Delay(10, cts.Token);   // the seed notices the leecher left
        await leech.ResumeAsync(cts.Token);
        Assert.True(leech.Progress >= progress);
        await Swarm.ConnectAsync(leech, seed);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "pause"));
    }

    [Fact]
    public async Task The_listener_closes_connections_that_send_garbage_or_name_an_unknown_torrent()
    {
        await using var swarm = new Swarm();
        var client = swarm.Client(new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0 });
        await client.StartAsync();
        var endPoint = client.ListenEndPoint!;
        using var cts = new CancellationTokenSource(Swarm.Timeout);

        var garbage = new byte[68];
        new Random(1).NextBytes(garbage);
        Assert.True(await IsClosedAfterSendingAsync(endPoint, garbage, cts.Token));

        var unknown = new byte[68];
        unknown[0] = 19;
        "BitTorrent protocol"u8.CopyTo(unknown.AsSpan(1));
        Assert.True(await IsClosedAfterSendingAsync(endPoint, unknown, cts.Token));
    }

    [Fact]
    public async Task A_client_refuses_to_connect_to_itself_and_duplicate_adds_return_the_same_torrent()
    {
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("self", 14, ("s.bin", 50_000));
        var client = swarm.Client(new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0 });
        var seed = await client.SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        Assert.Same(seed, await client.AddAsync(seed.Metainfo!));
        Assert.Same(seed, await client.AddAsync(seed.InfoHash.ToHex()));
        Assert.Same(seed, client.Find(seed.InfoHash));
        Assert.Single(client.Torrents);
        // Our own peer id on the other side: refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Swarm.ConnectAsync(seed, seed));
        Assert.Empty(seed.Peers);
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddAsync("not a torrent"));
    }

    [Fact]
    public async Task Metrics_count_the_bytes_and_pieces_of_a_download()
    {
        long downloaded = 0, verified = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WebTorrentClient.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "webtorrent.bytes.downloaded") Interlocked.Add(ref downloaded, value);
            if (instrument.Name == "webtorrent.pieces.verified") Interlocked.Add(ref verified, value);
        });
        listener.Start();
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("metric", 15, ("m.bin", 200_000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var leech = await swarm.Client().AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Assert.True(Interlocked.Read(ref downloaded) >= 200_000);
        Assert.True(Interlocked.Read(ref verified) >= leech.PieceCount);
    }

    [Fact]
    public async Task The_token_bucket_lets_a_burst_through_then_paces_by_the_clock()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, time);
        Assert.True(bucket.TakeAsync(1000, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        var next = bucket.TakeAsync(500, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await next.WaitAsync(Swarm.Timeout);
        var unlimited = new TokenBucket(null, time);
        Assert.True(unlimited.IsUnlimited);
        Assert.True(unlimited.TakeAsync(1 << 30, CancellationToken.None).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebTorrentClient(new WebTorrentClientOptions { MaxConnections = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebTorrentClient(new WebTorrentClientOptions { ListenPort = 70000 }));
        Assert.Throws<ArgumentException>(() => new WebTorrentClient(new WebTorrentClientOptions { PeerId = new byte[5] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebTorrentClient(new WebTorrentClientOptions { HandshakeTimeout = TimeSpan.Zero }));
    }

    private static async Task<bool> IsClosedAfterSendingAsync(IPEndPoint endPoint, byte[] data, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        await socket.SendAsync(data, cancellationToken);
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, cancellationToken) == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;   // reset
        }
    }
}
