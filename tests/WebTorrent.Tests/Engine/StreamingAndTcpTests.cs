using System.Net;

namespace WebTorrent.Tests.Engine;

public sealed class StreamingAndTcpTests
{
    [Fact]
    public async Task OpenRead_returns_the_last_MiB_before_the_rest_of_the_file_arrives()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("video", 8, ("clip.mp4", 6 * 1024 * 1024));
        var seeder = swarm.Client(new WebTorrentClientOptions { ListenPort = null, UploadRateLimit = 1024 * 1024 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 64 * 1024 });
        var leech = await swarm.Client().AddAsync(seed.Metainfo!);
        var file = Assert.Single(leech.Files);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await using var stream = file.OpenRead();
        Assert.True(stream.CanSeek);
        Assert.Equal(file.Length, stream.Length);
        stream.Seek(-1024 * 1024, SeekOrigin.End);
        await Swarm.ConnectAsync(leech, seed);
        var tail = new byte[1024 * 1024];
        await stream.ReadExactlyAsync(tail, cts.Token);
        Assert.True(leech.Progress < 1, "the whole file arrived before the tail was read");
        Assert.Equal(files["clip.mp4"].AsSpan(files["clip.mp4"].Length - tail.Length).ToArray(), tail);
        Assert.Equal(0, await stream.ReadAsync(new byte[10], cts.Token));

        // Back to the start, synchronously: blocks until those pieces arrive.
        stream.Position = 0;
        var head = new byte[100_000];
        await Task.Run(() => stream.ReadExactly(head), cts.Token);
        Assert.Equal(files["clip.mp4"].AsSpan(0, head.Length).ToArray(), head);
    }

    [Fact]
    public async Task A_stream_fails_when_its_torrent_is_removed()
    {
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("gone", 9, ("g.bin", 100_000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var client = swarm.Client();
        var leech = await client.AddAsync(seed.Metainfo!);
        await using var stream = leech.Files[0].OpenRead();
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        var read = stream.ReadAsync(new byte[1000], cts.Token).AsTask();
        await client.RemoveAsync(leech, deleteFiles: true, cts.Token);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read);
        Assert.Empty(client.Torrents);
    }

    [Fact]
    public async Task Two_clients_complete_a_download_over_loopback_TCP()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("tcp", 10, ("t1.bin", 900_000), ("t2.bin", 77_777));
        var options = new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0 };
        var seeder = swarm.Client(options);
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        Assert.NotNull(seeder.ListenEndPoint);
        Assert.NotEqual(0, seeder.ListenEndPoint!.Port);
        var connected = new List<PeerInfo>();
        seed.WireConnected += (_, peer) => { lock (connected) connected.Add(peer); };
        var leecher = swarm.Client(options);
        var leech = await leecher.AddAsync(seed.Metainfo!, new AddTorrentOptions { Peers = [seeder.ListenEndPoint] });
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "tcp"));
        PeerInfo peer;
        lock (connected) peer = Assert.Single(connected);
        Assert.Equal(WebTorrent.Discovery.PeerSource.Incoming, peer.Source);
        Assert.True(peer.PeerId.Span.SequenceEqual(leecher.PeerId.Span));
        Assert.Equal(IPAddress.Loopback, peer.EndPoint!.Address);
        // Both are seeds now: the connection is dropped, as there is nothing left to trade.
        while (seed.Peers.Count > 0) await Task.Delay(10, cts.Token);
    }

    [Fact]
    public async Task A_magnet_over_TCP_fetches_metadata_from_the_seeder()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("tm", 11, ("m.bin", 300_000));
        var options = new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0 };
        var seeder = swarm.Client(options);
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var magnet = seed.Metainfo!.ToMagnetLink() with { PeerAddresses = [new MagnetUri.PeerAddress("127.0.0.1", seeder.ListenEndPoint!.Port)] };
        var leech = await swarm.Client(options).AddAsync(magnet);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "tm"));
    }
}
