using System.CommandLine;
using System.Net;
using MagnetUri;

namespace WebTorrent.Cli;

/// <summary><c>download &lt;magnet|torrent|info-hash&gt; [--out DIR] [--peer HOST:PORT]... [--seconds-to-seed N]</c>.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A magnet link, a .torrent file, or an info-hash (40 hex or 32 base32 characters)." };
        var output = new Option<string>("--out", "-o") { Description = "Folder to download into.", DefaultValueFactory = _ => "." };
        var peers = new Option<string[]>("--peer") { Description = "A peer to dial at once, HOST:PORT (repeatable; a magnet's x.pe peers are dialled too)." };
        var seedSeconds = new Option<int>("--seconds-to-seed")
        {
            Description = "Keep seeding this many seconds after the download completes (-1: until Ctrl+C).",
            DefaultValueFactory = _ => 0,
        };
        var sequential = new Option<bool>("--sequential") { Description = "Download pieces in order (for playing while downloading)." };
        var select = new Option<int[]>("--select") { Description = "Download only these file indices (repeatable; default: a magnet's so=, else all files)." };
        var timeout = new Option<int>("--timeout") { Description = "Give up after this many seconds (0: never).", DefaultValueFactory = _ => 0 };
        var common = new CommonOptions();
        var command = new Command("download", "Download a torrent, then exit (or keep seeding with --seconds-to-seed).")
        {
            source, output, peers, seedSeconds, sequential, select, timeout,
        };
        common.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var text = result.GetValue(source)!.Trim();
            var folder = Path.GetFullPath(result.GetValue(output)!);
            Directory.CreateDirectory(folder);
            var dial = new List<IPEndPoint>();
            foreach (var peer in result.GetValue(peers) ?? []) dial.Add(await Endpoints.ResolveAsync(peer, cancellationToken));
            if (text.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase))
            {
                if (!MagnetLink.TryParse(text, out var link)) throw new CommandLineException($"'{text}' is not a valid magnet link.");
                dial.AddRange(Endpoints.FromMagnet(link));
            }
            else if (!File.Exists(text) && !InfoHash.TryParse(text, out _))
            {
                throw new CommandLineException($"'{text}' is not a magnet link, an existing .torrent file or an info-hash.");
            }
            var selected = result.GetValue(select) is { Length: > 0 } files ? files : null;

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(timeout) is > 0 and var seconds) deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            var ct = deadline.Token;

            await using var client = new WebTorrentClient(common.CreateClientOptions(result, folder));
            var started = TimeProvider.System.GetTimestamp();
            var torrent = await client.AddAsync(text, new AddTorrentOptions
            {
                DownloadFolder = folder,
                Peers = dial.Distinct().ToArray(),
                Sequential = result.GetValue(sequential),
                SelectedFiles = selected,
            }, ct);
            Console.WriteLine($"Downloading {torrent.InfoHash} into {folder} (listening on {client.ListenEndPoint})");
            try
            {
                await using (ProgressReporter.Start(torrent, result.GetValue(common.Quiet)))
                {
                    if (!torrent.HasMetadata)
                    {
                        await torrent.WaitForMetadataAsync(ct);
                        Console.WriteLine($"Metadata: {Describe(torrent)} after {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.00} s");
                    }
                    else
                    {
                        Console.WriteLine($"Torrent: {Describe(torrent)}");
                    }
                    await torrent.WaitForCompletionAsync(ct);
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"Timed out: {ProgressReporter.Describe(torrent).Trim()}");
                return 1;
            }
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            Console.WriteLine($"Done: {torrent.Name}, {Format.Bytes(torrent.Length)} in {elapsed.TotalSeconds:0.00} s ({Format.Rate(torrent.Length, elapsed)}); "
                + $"downloaded {torrent.Downloaded:N0} bytes, every piece verified");
            foreach (var file in torrent.Files.Where(f => f.Priority != FilePriority.Skip))
                Console.WriteLine($"  {torrent.Metainfo!.Files[file.Index].ResolvePath(folder)}  {Format.Bytes(file.Length)}");

            var seed = result.GetValue(seedSeconds);
            if (seed != 0)
            {
                Console.WriteLine(seed < 0 ? "Seeding until Ctrl+C" : $"Seeding for {seed} s");
                await using (ProgressReporter.Start(torrent, result.GetValue(common.Quiet)))
                {
                    try
                    {
                        await Task.Delay(seed < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seed), cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                    }
                }
                Console.WriteLine($"Uploaded {torrent.Uploaded:N0} bytes");
            }
            return 0;
        }, cancellationToken));
        return command;
    }

    internal static string Describe(Torrent torrent)
    {
        var files = torrent.Metainfo?.Files.Count(f => !f.IsPadding) ?? torrent.Files.Count;
        return $"{torrent.Name}, {files} file{(files == 1 ? "" : "s")}, {Format.Bytes(torrent.Length)}, "
            + $"{torrent.PieceCount} pieces of {Format.Bytes(torrent.Metainfo?.PieceLength ?? 0)}";
    }
}
