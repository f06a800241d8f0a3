using WebTorrent.Metainfo;

namespace WebTorrent.Tests.Engine;

public sealed class InMemorySwarmTests
{
    [Fact]
    public async Task Leecher_downloads_from_a_seeder_over_an_in_memory_pipe()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("movie", 1, ("a.bin", 300_000), ("sub/b.bin", 70_001));
        var seeder = swarm.Client();
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024 });
        Assert.Equal(TorrentState.Seeding, seed.State);
        var leecher = swarm.Client();
        var leech = await leecher.AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Assert.Equal(1.0, leech.Progress);
        Assert.Equal(TorrentState.Seeding, leech.State);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "movie"));
        Assert.True(seed.Uploaded >= seed.Length);
    }
}
