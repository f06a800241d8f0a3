using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using MagnetUri;

namespace WebTorrent.Cli;

/// <summary>
/// No arguments: a self-contained demo on this machine. It writes sample data to a temporary folder, seeds it with
/// one <see cref="WebTorrentClient"/>, downloads it with a second one from the magnet link alone (metadata over
/// ut_metadata, pieces over loopback TCP; the seeder's address rides in the link's x.pe), checks every byte,
/// and cleans up.
/// </summary>
internal static class DemoCommand
{
    private const string ContentName = "webtorrent-demo";

    public static void Configure(RootCommand root)
    {
        var size = new Option<int>("--size") { Description = "Demo: MiB of sample data to seed and download.", DefaultValueFactory = _ => 64 };
        var keep = new Option<bool>("--keep") { Description = "Demo: keep the temporary folder." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Demo: print no progress lines." };
        var timeout = new Option<int>("--timeout") { Description = "Demo: fail after this many seconds.", DefaultValueFactory = _ => 300 };
        root.Options.Add(size);
        root.Options.Add(keep);
        root.Options.Add(quiet);
        root.Options.Add(timeout);
        root.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            () => RunAsync(result.GetValue(size), result.GetValue(keep), result.GetValue(quiet), TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken),
            cancellationToken));
    }

    private static async Task<int> RunAsync(int sizeMiB, bool keep, bool quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (sizeMiB is < 1 or > 64 * 1024) throw new CommandLineException("--size: 1 to 65536 MiB.");
        if (timeout <= TimeSpan.Zero) throw new CommandLineException("--timeout: a positive number of seconds.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var ct = deadline.Token;
        var work = Directory.CreateTempSubdirectory("webtorrent-demo-").FullName;
        try
        {
            var seedFolder = Path.Combine(work, "seeder");
            var downloadFolder = Path.Combine(work, "downloader");
            var content = Path.Combine(seedFolder, ContentName);
            var bytes = await WriteSampleAsync(content, sizeMiB, ct);
            Console.WriteLine($"1/4 Wrote {Format.Bytes(bytes)} of sample data to {content}");

            // Both clients stay on this machine: loopback only, no DHT, trackers, PEX or local discovery.
            var local = new WebTorrentClientOptions
            {
                ListenAddress = IPAddress.Loopback,
                ListenPort = 0,
                EnableDht = false,
                EnableTrackers = false,
                EnablePex = false,
                EnableLocalDiscovery = false,
                AllocateDiskSpace = true,
                LoggerFactory = new ConsoleErrorLoggerFactory(Microsoft.Extensions.Logging.LogLevel.Warning),
            };
            await using var seeder = new WebTorrentClient(local with { DownloadFolder = seedFolder });
            var hashing = TimeProvider.System.GetTimestamp();
            var seeded = await seeder.SeedAsync(content, new SeedOptions { Comment = "WebTorrent for .NET demo" }, ct);
            var port = seeder.ListenEndPoint?.Port ?? throw new InvalidOperationException("The seeder is not listening.");
            var magnet = seeded.Metainfo!.ToMagnetLink() with { PeerAddresses = [new PeerAddress("127.0.0.1", port)] };
            Console.WriteLine($"2/4 Seeding {DownloadCommand.Describe(seeded)} on 127.0.0.1:{port} (hashed in {TimeProvider.System.GetElapsedTime(hashing).TotalSeconds:0.00} s)");
            Console.WriteLine($"    {magnet}");

            await using var downloader = new WebTorrentClient(local with { DownloadFolder = downloadFolder });
            var started = TimeProvider.System.GetTimestamp();
            var torrent = await downloader.AddAsync(magnet, new AddTorrentOptions { Peers = [.. Endpoints.FromMagnet(magnet)] }, ct);
            Console.WriteLine($"3/4 Downloading {torrent.InfoHash} from the magnet link into {downloadFolder}");
            await using (ProgressReporter.Start(torrent, quiet))
            {
                await torrent.WaitForMetadataAsync(ct);
                Console.WriteLine($"    metadata over ut_metadata after {TimeProvider.System.GetElapsedTime(started).TotalMilliseconds:0} ms: {DownloadCommand.Describe(torrent)}");
                await torrent.WaitForCompletionAsync(ct);
            }
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            var peers = torrent.Peers;
            var peer = peers.Count > 0 ? peers[0] : null;
            Console.WriteLine($"    done in {elapsed.TotalSeconds:0.00} s ({Format.Rate(torrent.Length, elapsed)}), downloaded {torrent.Downloaded:N0} bytes"
                + (peer is null ? "" : $" from {peer.EndPoint} ({peer.ClientName ?? "unknown client"})") + $"; the seeder uploaded {seeded.Uploaded:N0}");

            var (files, compared) = await CompareAsync(content, Path.Combine(downloadFolder, ContentName), ct);
            Console.WriteLine($"4/4 Verified: {files} files, {compared:N0} bytes identical to the seeder's");
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"The demo did not finish within {timeout.TotalSeconds:0} s.");
            return 1;
        }
        finally
        {
            if (keep) Console.WriteLine($"Kept {work}");
            else TryDelete(work);
        }
    }

    /// <summary>A small README and one large pseudo-random file (seeded: the same bytes every run).</summary>
    private static async Task<long> WriteSampleAsync(string folder, int sizeMiB, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var readme = "Sample data written by the WebTorrent for .NET demo (samples/WebTorrent.Cli).\n"u8.ToArray();
        await File.WriteAllBytesAsync(Path.Combine(folder, "README.txt"), readme, cancellationToken);
        var random = new Random(2026);
        var buffer = new byte[1024 * 1024];
        await using var file = new FileStream(Path.Combine(folder, "sample.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        for (var i = 0; i < sizeMiB; i++)
        {
            random.NextBytes(buffer);
            await file.WriteAsync(buffer, cancellationToken);
        }
        return readme.Length + (long)sizeMiB * buffer.Length;
    }

    /// <summary>Every file under <paramref name="expected"/> has an identical twin under <paramref name="actual"/>.</summary>
    private static async Task<(int Files, long Bytes)> CompareAsync(string expected, string actual, CancellationToken cancellationToken)
    {
        var files = 0;
        long bytes = 0;
        foreach (var path in Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories))
        {
            var twin = Path.Combine(actual, Path.GetRelativePath(expected, path));
            if (!File.Exists(twin)) throw new InvalidDataException($"{twin} was not downloaded.");
            var (a, b) = (await HashAsync(path, cancellationToken), await HashAsync(twin, cancellationToken));
            if (!a.AsSpan().SequenceEqual(b) || new FileInfo(path).Length != new FileInfo(twin).Length)
                throw new InvalidDataException($"{twin} differs from {path}.");
            files++;
            bytes += new FileInfo(path).Length;
        }
        return (files, bytes);
    }

    private static async Task<byte[]> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await SHA256.HashDataAsync(stream, cancellationToken);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"Could not delete {folder}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"Could not delete {folder}: {e.Message}");
        }
    }
}
