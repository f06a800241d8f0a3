using System.Net;
using System.Net.Http.Headers;
using GettingStarted;

// docs/getting-started.md, runnable. No arguments: the five steps on this machine only (loopback; no DHT, local
// discovery or PEX), checked end to end. `download <magnet|.torrent|info-hash>`: step 1 against the real swarm.
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var ct = cancel.Token;

if (args is ["download", var target, ..])
{
    await using var client = DownloadStep.CreateClient(args.Length > 2 ? args[2] : "downloads");
    await DownloadStep.RunAsync(client, target, ct);
    return 0;
}

var work = Directory.CreateTempSubdirectory("webtorrent-getting-started-").FullName;
try
{
    var data = Path.Combine(work, "seeder", "Sample Video");
    var video = await WriteSampleAsync(data, ct);

    Console.WriteLine("== Run a tracker");
    await using var tracker = await TrackerStep.StartAsync("http://127.0.0.1:0", ct);
    var announce = TrackerStep.AnnounceUrl(tracker);

    Console.WriteLine("== Seed");
    await using var seeder = LocalClient(Path.Combine(work, "seeder"));
    var seeded = await SeedStep.RunAsync(seeder, data, announce, ct);

    Console.WriteLine("== Download (peers from the tracker)");
    await using var downloader = LocalClient(Path.Combine(work, "downloader"));
    var torrent = await DownloadStep.RunAsync(downloader, seeded.Metainfo!.ToMagnetLink().ToString(), ct);
    var downloaded = Path.Combine(work, "downloader", "Sample Video", "clip.mp4");
    if (!(await File.ReadAllBytesAsync(downloaded, ct)).AsSpan().SequenceEqual(video)) throw new InvalidDataException("The download differs.");

    Console.WriteLine("== Stream to a browser video");
    await using (var server = await StreamStep.StartAsync(downloader, torrent, ct))
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.GetFileUri(torrent.Files.First(f => f.Name == "clip.mp4")));
        request.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode != HttpStatusCode.PartialContent || !body.AsSpan().SequenceEqual(video.AsSpan(1000, 1000)))
            throw new InvalidDataException($"The range request got {(int)response.StatusCode} and {body.Length} bytes.");
        Console.WriteLine($"GET Range bytes=1000-1999: {(int)response.StatusCode}, {response.Content.Headers.ContentType}, {body.Length} bytes");
    }

    Console.WriteLine("== Compose the small packages");
    var have = await ComposeStep.RunAsync(data, ct);
    if (!have.IsComplete) throw new InvalidDataException("The recheck found bad pieces.");
    Console.WriteLine("All five steps worked.");
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

// Both clients stay on this machine: loopback TCP, peers from the tracker only.
static WebTorrentClient LocalClient(string folder) => new(new WebTorrentClientOptions
{
    DownloadFolder = folder,
    ListenAddress = IPAddress.Loopback,
    ListenPort = 0,
    EnableDht = false,
    EnableLocalDiscovery = false,
    EnablePex = false,
});

// A folder with a readme and 4 MiB of random bytes standing in for a video.
static async Task<byte[]> WriteSampleAsync(string folder, CancellationToken cancellationToken)
{
    Directory.CreateDirectory(folder);
    await File.WriteAllTextAsync(Path.Combine(folder, "readme.txt"), "Sample data of docs/getting-started.md\n", cancellationToken);
    var video = new byte[4 << 20];
    new Random(15).NextBytes(video);
    await File.WriteAllBytesAsync(Path.Combine(folder, "clip.mp4"), video, cancellationToken);
    return video;
}
