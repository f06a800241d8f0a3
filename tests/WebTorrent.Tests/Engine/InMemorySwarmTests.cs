using System.IO.Pipelines;
using System.Net;
using WebTorrent.Metainfo;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;

namespace WebTorrent.Tests.Engine;

public sealed class InMemorySwarmTests
{
    [Theory]
    [InlineData(TorrentVersion.V1)]
    [InlineData(TorrentVersion.V2)]
    [InlineData(TorrentVersion.Hybrid)]
    public async Task Leecher_downloads_from_a_seeder_over_an_in_memory_pipe(TorrentVersion version)
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("movie", 1, ("a.bin", 300_000), ("sub/b.bin", 70_001));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024, Version = version });
        Assert.Equal(TorrentState.Seeding, seed.State);
        var leech = await swarm.Client().AddAsync(seed.Metainfo!);
        Assert.Equal(TorrentState.Downloading, leech.State);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Assert.Equal(1.0, leech.Progress);
        Assert.Equal(TorrentState.Seeding, leech.State);
        Assert.All(leech.Files, f => Assert.True(f.IsDone));
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "movie"));
        Assert.True(seed.Uploaded >= seed.Length);
    }

    [Fact]
    public async Task One_seeder_and_five_leechers_all_complete_with_identical_bytes()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("set", 2, ("x.bin", 700_000), ("y.bin", 123_457), ("z/w.bin", 5));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024, Version = TorrentVersion.Hybrid });
        var leeches = new List<Torrent>();
        for (var i = 0; i < 5; i++) leeches.Add(await swarm.Client().AddAsync(seed.Metainfo!));
        // Full mesh: every leecher to the seed and to each other.
        var peers = new List<Torrent> { seed };
        foreach (var leech in leeches)
        {
            foreach (var other in peers) await Swarm.ConnectAsync(leech, other);
            peers.Add(leech);
        }
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await Task.WhenAll(leeches.Select(l => l.WaitForCompletionAsync(cts.Token)));
        foreach (var leech in leeches) Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "set"));
        // Leechers traded among themselves, not only with the seed.
        Assert.True(leeches.Sum(l => l.Uploaded) > 0);
    }

    [Fact]
    public async Task Leechers_leave_and_join_mid_download_and_the_rest_complete()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("data", 3, ("big.bin", 2_000_000));
        var seeder = swarm.Client(new WebTorrentClientOptions { ListenPort = null, UploadRateLimit = 1_000_000 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        var leaving = swarm.Client();
        var early = await leaving.AddAsync(seed.Metainfo!);
        var stay = await swarm.Client().AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(early, seed);
        await Swarm.ConnectAsync(stay, seed);
        await Swarm.ConnectAsync(stay, early);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        while (early.Progress < 0.2 && stay.Progress < 0.2) await Task.Delay(20, cts.Token);
        Assert.False(stay.Progress >= 1);
        await leaving.DisposeAsync();                       // leaves mid-download
        var late = await swarm.Client().AddAsync(seed.Metainfo!);   // joins mid-download
        await Swarm.ConnectAsync(late, seed);
        await Swarm.ConnectAsync(late, stay);
        await Task.WhenAll(stay.WaitForCompletionAsync(cts.Token), late.WaitForCompletionAsync(cts.Token));
        Swarm.AssertSameFiles(files, Path.Combine(stay.DownloadFolder, "data"));
        Swarm.AssertSameFiles(files, Path.Combine(late.DownloadFolder, "data"));
        Assert.Equal(TorrentState.Stopped, early.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => early.WaitForCompletionAsync(cts.Token));
    }

    [Fact]
    public async Task A_peer_sending_corrupt_blocks_is_banned_and_the_data_is_still_correct()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("data", 4, ("file.bin", 1_000_000));
        var seeder = swarm.Client(new WebTorrentClientOptions { ListenPort = null, UploadRateLimit = 500_000 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        var leecher = swarm.Client();
        var leech = await leecher.AddAsync(seed.Metainfo!);
        var banned = new List<PeerInfo>();
        leech.PeerBanned += (_, peer) => { lock (banned) banned.Add(peer); };
        var liar = await CorruptPeer.ConnectAsync(leech, seed.Metainfo!);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "data"));
        Assert.True(liar.BlocksSent > 0);
        await liar.Wire.Completion.WaitAsync(cts.Token);   // we closed it
        var only = Assert.Single(banned);
        Assert.True(only.PeerId.Span.SequenceEqual(liar.PeerId));
    }

    [Fact]
    public async Task A_magnet_torrent_has_its_files_when_WaitForMetadataAsync_returns_and_when_MetadataReceived_is_raised()
    {
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("files", 6, ("a.bin", 40_000), ("sub/b.bin", 9000), ("c.bin", 1));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var expected = seed.Files.Select(f => (f.Path, f.Length)).ToArray();
        Assert.Equal(3, expected.Length);
        for (var round = 0; round < 5; round++)
        {
            var leech = await swarm.Client().AddAsync(seed.Metainfo!.ToMagnetLink().ToString());
            var filesInEvent = -1;
            var metainfoInEvent = false;
            leech.MetadataReceived += (_, _) =>
            {
                filesInEvent = leech.Files.Count;
                metainfoInEvent = leech.Metainfo is not null;
            };
            await Swarm.ConnectAsync(leech, seed);
            using var cts = new CancellationTokenSource(Swarm.Timeout);
            await leech.WaitForMetadataAsync(cts.Token);
            Assert.True(leech.HasMetadata, $"round {round}");
            Assert.Equal(expected, leech.Files.Select(f => (f.Path, f.Length)).ToArray());
            Assert.Equal(expected.Length, filesInEvent);
            Assert.True(metainfoInEvent, $"round {round}");
        }
    }

    [Fact]
    public async Task A_magnet_link_fetches_the_metadata_from_peers_then_downloads()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("mag", 5, ("one.bin", 200_000), ("two.bin", 3000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var leech = await swarm.Client().AddAsync(seed.Metainfo!.ToMagnetLink().ToString());
        Assert.False(leech.HasMetadata);
        Assert.Equal(TorrentState.FetchingMetadata, leech.State);
        Assert.Empty(leech.Files);
        var metadataEvents = 0;
        leech.MetadataReceived += (_, _) => Interlocked.Increment(ref metadataEvents);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForMetadataAsync(cts.Token);
        Assert.Equal(seed.InfoHash, leech.Metainfo!.InfoHash);
        await leech.WaitForCompletionAsync(cts.Token);
        Assert.Equal(1, metadataEvents);
        Assert.Equal(2, leech.Files.Count);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "mag"));
    }

    [Fact]
    public async Task Selective_download_creates_and_downloads_only_the_selected_file()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("sel", 6, ("a.bin", 100_000), ("b.bin", 100_000), ("c.bin", 100_000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var leech = await swarm.Client().AddAsync(seed.Metainfo!, new AddTorrentOptions { SelectedFiles = [1] });
        Assert.Equal(FilePriority.Skip, leech.Files[0].Priority);
        Assert.Equal(FilePriority.Normal, leech.Files[1].Priority);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        var folder = Path.Combine(leech.DownloadFolder, "sel");
        Assert.Equal(files["b.bin"], File.ReadAllBytes(Path.Combine(folder, "b.bin")));
        Assert.False(File.Exists(Path.Combine(folder, "a.bin")));
        Assert.False(File.Exists(Path.Combine(folder, "c.bin")));
        Assert.True(leech.Files[1].IsDone);
        Assert.False(leech.Files[0].IsDone);
        Assert.True(leech.Downloaded < 150_000, $"downloaded {leech.Downloaded} bytes for a 100 kB file");

        // Selecting another file afterwards downloads it too, boundary pieces included.
        leech.Files[2].Select();
        await leech.WaitForCompletionAsync(cts.Token);
        Assert.Equal(files["c.bin"], File.ReadAllBytes(Path.Combine(folder, "c.bin")));
        Assert.False(File.Exists(Path.Combine(folder, "a.bin")));
    }

    [Fact]
    public async Task A_client_killed_mid_download_resumes_without_downloading_verified_pieces_again()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("res", 7, ("r.bin", 1_500_000));
        var seeder = swarm.Client(new WebTorrentClientOptions { ListenPort = null, UploadRateLimit = 1_000_000 });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        var folder = swarm.Folder("resume");
        var first = swarm.Client(folder: folder);
        var leech = await first.AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        while (leech.Progress < 0.3) await Task.Delay(10, cts.Token);
        await first.DisposeAsync();    // killed: no completion, no graceful hand-over
        var had = Enumerable.Range(0, leech.PieceCount).Count(leech.HasPiece);
        Assert.True(had < leech.PieceCount);

        var second = swarm.Client(folder: folder);
        var resumed = await second.AddAsync(seed.Metainfo!);
        var kept = Enumerable.Range(0, resumed.PieceCount).Count(resumed.HasPiece);
        Assert.True(kept >= had, $"kept {kept} of the {had} verified pieces");
        await Swarm.ConnectAsync(resumed, seed);
        await resumed.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(folder, "res"));
        var missing = (long)(resumed.PieceCount - kept) * 32 * 1024;
        Assert.True(resumed.Downloaded <= missing + (4 * 32 * 1024), $"downloaded {resumed.Downloaded} bytes, {missing} were missing");
    }

    /// <summary>A peer that has everything, unchokes at once and answers every request with garbage.</summary>
    private sealed class CorruptPeer
    {
        private int _blocks;

        private CorruptPeer(PeerWire wire, byte[] peerId)
        {
            Wire = wire;
            PeerId = peerId;
        }

        public PeerWire Wire { get; }

        public byte[] PeerId { get; }

        public int BlocksSent => Volatile.Read(ref _blocks);

        public static async Task<CorruptPeer> ConnectAsync(Torrent victim, TorrentMetainfo metainfo)
        {
            var (a, b) = DuplexPipePair.Create();
            var wire = new PeerWire(b, null, new PieceLayout(metainfo.TotalLength, metainfo.PieceLength));
            var peer = new CorruptPeer(wire, "-XX0001-corruptpeer!"u8.ToArray());
            var random = new Random(9);
            wire.RequestReceived += (_, request) =>
            {
                var garbage = new byte[request.Length];
                lock (random) random.NextBytes(garbage);
                Interlocked.Increment(ref peer._blocks);
                _ = wire.SendPieceAsync(request.Index, request.Begin, garbage).AsTask();
            };
            using var cts = new CancellationTokenSource(Swarm.Timeout);
            var handshake = Task.Run(async () =>
            {
                await wire.ReceiveHandshakeAsync(cts.Token);
                await wire.SendHandshakeAsync(metainfo.InfoHashV1!.Value.ToArray(), peer.PeerId, cts.Token);
                await wire.SendHaveAllAsync(cts.Token);
                await wire.SendUnchokeAsync(cts.Token);
            });
            await Task.WhenAll(victim.AddPeerAsync(a, outgoing: true, cts.Token), handshake);
            return peer;
        }
    }
}
