using WebTorrent.Dht.Simulations;

namespace WebTorrent.Dht.Tests;

public class SimulationTests
{
    [Fact]
    public async Task Five_hundred_nodes_with_loss_and_churn_find_announced_peers()
    {
        var report = await Task.Run(() => SimulationRunner.Run(new SimulationSettings
        {
            Nodes = 500,
            Loss = 0.05,
            Churn = 0.10,
            InfoHashes = 20,
            Lookups = 200,
            Seed = 7,
            JoinPeriod = TimeSpan.FromMinutes(5),
            SettlePeriod = TimeSpan.FromMinutes(2),
            LookupPeriod = TimeSpan.FromMinutes(5),
        }));
        Assert.Equal(200, report.Lookups);
        Assert.True(report.SuccessRate >= 0.99, $"success {report.SuccessRate:P1}");
        Assert.InRange(report.MeanRounds, 1, 8);
        Assert.InRange(report.QueriesPerLookup, 8, 60);
    }
}
