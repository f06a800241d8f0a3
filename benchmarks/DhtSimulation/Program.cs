using System.Globalization;
using System.Text;
using WebTorrent.Dht.Simulations;

// Usage: DhtSimulation [sizes...] [--loss 0.1] [--churn 0.1] [--lookups 500] [--seed 42] [--out docs/dht-simulation.csv]
var sizes = new List<int>();
double loss = 0.10, churn = 0.10;
int lookups = 500, seed = 42, retries = 1;
string? output = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--loss": loss = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--churn": churn = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--lookups": lookups = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": output = args[++i]; break;
        case "--retries": retries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: sizes.Add(int.Parse(args[i], CultureInfo.InvariantCulture)); break;
    }
}
if (sizes.Count == 0) sizes.AddRange([1000, 10000]);

var csv = new StringBuilder("nodes,loss,churn,lookups,succeeded,success_rate,queries_per_lookup,mean_rounds,median_rounds,max_rounds,announce_acks,memory_per_node_bytes,mean_table_size,wall_seconds,virtual_seconds,datagrams\n");
Console.WriteLine("| nodes | loss | churn | lookups | success | queries/lookup | rounds mean (median, max) | announce acks | memory/node | table size | wall |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var size in sizes)
{
    var report = SimulationRunner.Run(new SimulationSettings { Nodes = size, Loss = loss, Churn = churn, Lookups = lookups, Seed = seed, LookupRetries = retries },
        message => Console.Error.WriteLine(message));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {report.Nodes:N0} | {report.Loss:P0} | {report.Churn:P0} | {report.Lookups} | {report.SuccessRate:P1} | {report.QueriesPerLookup:F1} | {report.MeanRounds:F2} ({report.MedianRounds}, {report.MaxRounds}) | {report.AnnounceAcks:F1} | {report.MemoryPerNodeBytes / 1024.0:F1} KiB | {report.MeanTableSize:F0} | {report.Wall.TotalSeconds:F0} s |"));
    csv.Append(CultureInfo.InvariantCulture, $"{report.Nodes},{report.Loss},{report.Churn},{report.Lookups},{report.Succeeded},{report.SuccessRate:F4},{report.QueriesPerLookup:F2},{report.MeanRounds:F3},{report.MedianRounds},{report.MaxRounds},{report.AnnounceAcks:F2},{report.MemoryPerNodeBytes},{report.MeanTableSize:F1},{report.Wall.TotalSeconds:F1},{report.Virtual.TotalSeconds:F0},{report.Datagrams}\n");
}
if (output is not null) File.WriteAllText(output, csv.ToString());
