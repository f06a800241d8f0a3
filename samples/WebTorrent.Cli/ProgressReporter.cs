using System.Globalization;

namespace WebTorrent.Cli;

/// <summary>
/// Prints a torrent's progress, speeds and peers while something runs: one line per interval when the output is
/// redirected (logs, scripts), one line rewritten in place on a terminal.
/// </summary>
internal sealed class ProgressReporter : IAsyncDisposable
{
    private readonly Torrent _torrent;
    private readonly bool _inPlace = !Console.IsOutputRedirected;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _lastWidth;

    private ProgressReporter(Torrent torrent, TimeSpan interval, TimeProvider timeProvider)
    {
        _torrent = torrent;
        _loop = RunAsync(interval, timeProvider);
    }

    /// <summary>Starts printing; <paramref name="quiet"/> prints nothing.</summary>
    public static ProgressReporter? Start(Torrent torrent, bool quiet, TimeProvider? timeProvider = null) =>
        quiet ? null : new ProgressReporter(torrent, TimeSpan.FromSeconds(Console.IsOutputRedirected ? 1 : 0.25), timeProvider ?? TimeProvider.System);

    private async Task RunAsync(TimeSpan interval, TimeProvider timeProvider)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Print();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Print()
    {
        var line = Describe(_torrent);
        if (!_inPlace)
        {
            Console.WriteLine(line);
            return;
        }
        var padded = line.PadRight(_lastWidth);
        _lastWidth = line.Length;
        Console.Write("\r" + padded);
    }

    /// <summary>One status line: state, progress, bytes, speeds, peers.</summary>
    public static string Describe(Torrent torrent)
    {
        var peers = torrent.Peers.Count;
        if (!torrent.HasMetadata)
            return string.Create(CultureInfo.InvariantCulture, $"  fetching metadata  {peers} peer{(peers == 1 ? "" : "s")}");
        if (torrent.State == TorrentState.Seeding && torrent.Downloaded == 0)
            return string.Create(CultureInfo.InvariantCulture,
                $"  Seeding {Format.Bytes(torrent.Length)}  uploaded {Format.Bytes(torrent.Uploaded)}  ↑ {Format.Bytes((long)torrent.UploadSpeed)}/s  {peers} peer{(peers == 1 ? "" : "s")}");
        return string.Create(CultureInfo.InvariantCulture,
            $"  {torrent.State,-11} {torrent.Progress * 100,6:0.0}%  {Format.Bytes(torrent.Downloaded)} of {Format.Bytes(torrent.Length)}  ↓ {Format.Bytes((long)torrent.DownloadSpeed)}/s  ↑ {Format.Bytes((long)torrent.UploadSpeed)}/s  {peers} peer{(peers == 1 ? "" : "s")}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        if (_inPlace && _lastWidth > 0) Console.WriteLine();
    }
}

/// <summary>Human-readable sizes and rates.</summary>
internal static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };

    public static string Rate(long bytes, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6 / Math.Max(elapsed.TotalSeconds, 1e-3):0.0} MB/s");
}
