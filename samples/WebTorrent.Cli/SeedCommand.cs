using System.CommandLine;
using System.Net;
using MagnetUri;

namespace WebTorrent.Cli;

/// <summary><c>seed &lt;path&gt; [--port N]</c>: create a torrent of a file or folder, print its magnet link, seed until Ctrl+C.</summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "The file or folder to seed (in place)." };
        var announce = new Option<string[]>("--announce", "-a") { Description = "A tracker URL to put in the torrent (repeatable)." };
        var pieceLength = new Option<int?>("--piece-length") { Description = "Piece length in bytes (a power of two, at least 16 KiB; default: chosen from the size)." };
        var saveTorrent = new Option<string?>("--save-torrent") { Description = "Also write the .torrent file here." };
        var seconds = new Option<int>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C).", DefaultValueFactory = _ => 0 };
        var common = new CommonOptions();
        var command = new Command("seed", "Create a torrent of a file or folder and seed it; prints the magnet link.")
        {
            path, announce, pieceLength, saveTorrent, seconds,
        };
        common.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var full = Path.GetFullPath(result.GetValue(path)!);
            if (!File.Exists(full) && !Directory.Exists(full)) throw new CommandLineException($"'{full}' does not exist.");
            var trackers = result.GetValue(announce) ?? [];
            foreach (var tracker in trackers)
            {
                if (!Uri.TryCreate(tracker, UriKind.Absolute, out _)) throw new CommandLineException($"--announce: '{tracker}' is not a URL.");
            }

            var options = common.CreateClientOptions(result, Path.GetDirectoryName(full)!);
            await using var client = new WebTorrentClient(options);
            Console.WriteLine($"Hashing {full} ...");
            var started = TimeProvider.System.GetTimestamp();
            var torrent = await client.SeedAsync(full, new SeedOptions
            {
                PieceLength = result.GetValue(pieceLength),
                AnnounceList = trackers.Select(t => (IReadOnlyList<string>)[t]).ToArray(),
            }, cancellationToken);
            var metainfo = torrent.Metainfo!;
            Console.WriteLine($"Seeding {DownloadCommand.Describe(torrent)} (hashed in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.00} s)");
            Console.WriteLine($"Info-hash: {torrent.InfoHash}");
            var listen = client.ListenEndPoint;
            Console.WriteLine($"Listening on {listen?.ToString() ?? "(not listening)"}");
            var magnet = metainfo.ToMagnetLink();
            Console.WriteLine($"Magnet: {magnet}");
            if (listen is not null)
            {
                // x.pe lets a downloader on this machine dial us without trackers or DHT.
                var local = IPAddress.Any.Equals(listen.Address) || IPAddress.IPv6Any.Equals(listen.Address) ? IPAddress.Loopback : listen.Address;
                Console.WriteLine($"Magnet with this peer: {magnet with { PeerAddresses = [new PeerAddress(local.ToString(), listen.Port)] }}");
            }
            if (result.GetValue(saveTorrent) is { } file)
            {
                await metainfo.SaveAsync(file, cancellationToken);
                Console.WriteLine($"Wrote {Path.GetFullPath(file)}");
            }

            var stopAfter = result.GetValue(seconds);
            await using (ProgressReporter.Start(torrent, result.GetValue(common.Quiet)))
            {
                try
                {
                    await Task.Delay(stopAfter > 0 ? TimeSpan.FromSeconds(stopAfter) : Timeout.InfiniteTimeSpan, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
            }
            Console.WriteLine($"Uploaded {torrent.Uploaded:N0} bytes");
            return 0;
        }, cancellationToken));
        return command;
    }
}
