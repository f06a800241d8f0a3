using Microsoft.Extensions.Time.Testing;

namespace WebTorrent.Tests.Engine;

public sealed class ChokingEngineTests
{
    [Fact]
    public async Task With_one_upload_slot_the_optimistic_unchoke_rotates_between_leechers_on_the_seeders_clock()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("choke", 18, ("c.bin", 1024 * 1024));
        var time = new FakeTimeProvider();
        var seeder = swarm.Client(new WebTorrentClientOptions
        {
            ListenPort = null, TimeProvider = time, UploadSlots = 1, UploadRateLimit = 64 * 1024,
            ChokeInterval = TimeSpan.FromSeconds(2), OptimisticUnchokeInterval = TimeSpan.FromSeconds(5),
        });
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var first = await swarm.Client().AddAsync(seed.Metainfo!);
        var second = await swarm.Client().AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(first, seed);
        await Swarm.ConnectAsync(second, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        var bothHadData = false;
        while (first.Progress < 1 || second.Progress < 1)
        {
            // One second of the seeder's clock per step: its upload bucket refills, its choker runs.
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, cts.Token);
            bothHadData |= first.Progress is > 0 and < 1 && second.Progress is > 0 and < 1;
            Assert.True(seed.Peers.Count(p => !p.AmChoking) <= 1, "more peers unchoked than upload slots");
        }
        Assert.True(bothHadData, "the unchoke never moved to the other leecher before the first finished");
        Swarm.AssertSameFiles(files, Path.Combine(first.DownloadFolder, "choke"));
        Swarm.AssertSameFiles(files, Path.Combine(second.DownloadFolder, "choke"));
    }
}
