using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace WebTorrent.Benchmarks.Verifier;

/// <summary>Turns "time per operation" into MB/s (decimal) for benchmarks where one operation is one MiB of data.</summary>
public sealed class ThroughputColumn : IColumn
{
    public const double BytesPerOperation = 1024 * 1024;

    public string Id => "VerifierThroughput";
    public string ColumnName => "MB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Decimal megabytes hashed per second (each operation is 1 MiB of data)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        return statistics is null ? "NA" : (BytesPerOperation / (statistics.Mean / 1e9) / 1e6).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>Adds the MB/s column.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}
