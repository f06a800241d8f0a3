using System.Globalization;
using WebTorrent.Metainfo;

// With a path: print that .torrent. Without: create a hybrid torrent of generated files, print it, parse it back.
if (args.Length > 0)
{
    try
    {
        Print(await TorrentMetainfo.LoadAsync(args[0]));
        return 0;
    }
    catch (Exception e) when (e is InvalidTorrentException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"{args[0]}: {e.Message}");
        return 1;
    }
}

var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"torrentinfo-{Environment.ProcessId}", "Sample Folder"));
try
{
    var random = new Random(2026);
    foreach (var (name, size) in new[] { ("readme.txt", 1_234), ("video/clip.bin", 300_000), ("video/poster.bin", 70_001) })
    {
        var path = Path.Combine(folder.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
        random.NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
    }

    var progress = new LastProgress();
    Console.WriteLine($"Creating a hybrid (v1 + v2) torrent of {folder.FullName}");
    var created = await TorrentCreator.CreateFromPathAsync(folder.FullName, new TorrentCreationOptions
    {
        Version = TorrentVersion.Hybrid,
        AnnounceList = [["wss://tracker.webtorrent.dev"], ["udp://tracker.opentrackr.org:1337"]],
        CreatedBy = "WebTorrent for .NET sample",
        CreationDate = DateTimeOffset.UtcNow,
        Progress = progress,
    });
    Console.WriteLine($"Hashed {progress.Last.BytesHashed:N0} of {progress.Last.TotalBytes:N0} bytes ({progress.Reports} progress reports)");
    var torrentFile = Path.Combine(folder.Parent!.FullName, "sample.torrent");
    await created.SaveAsync(torrentFile);
    Console.WriteLine($"Wrote {torrentFile} ({created.TorrentBytes.Length:N0} bytes)");
    Console.WriteLine();

    var parsed = await TorrentMetainfo.LoadAsync(torrentFile);
    Print(parsed);
    Console.WriteLine();
    Console.WriteLine(parsed.InfoHash == created.InfoHash && parsed.InfoHashV2 == created.InfoHashV2
        ? "Parsed back: same v1 and v2 info-hashes."
        : "Parsed back: the info-hashes DIFFER.");
    Console.WriteLine($"Files would be written under the download folder, e.g. {parsed.Files[0].ResolvePath(Path.Combine(Path.GetTempPath(), "downloads"))}");
    return parsed.InfoHash == created.InfoHash ? 0 : 1;
}
finally
{
    folder.Parent!.Delete(recursive: true);
}

static void Print(TorrentMetainfo torrent)
{
    Console.WriteLine($"Name:          {torrent.Name}");
    Console.WriteLine($"Version:       {torrent.Version}");
    if (torrent.InfoHashV1 is { } v1) Console.WriteLine($"Info-hash v1:  {v1}");
    if (torrent.InfoHashV2 is { } v2) Console.WriteLine($"Info-hash v2:  {v2}");
    Console.WriteLine($"Size:          {torrent.ContentLength:N0} bytes in {torrent.Files.Count(f => !f.IsPadding)} file(s)");
    Console.WriteLine($"Pieces:        {torrent.PieceCount} x {torrent.PieceLength / 1024} KiB (last {torrent.LastPieceLength:N0} bytes)");
    if (torrent.IsPrivate) Console.WriteLine("Private:       yes");
    if (torrent.CreatedBy is not null) Console.WriteLine($"Created by:    {torrent.CreatedBy}");
    if (torrent.CreationDate is { } date) Console.WriteLine($"Created:       {date.ToString("u", CultureInfo.InvariantCulture)}");
    if (torrent.Comment is not null) Console.WriteLine($"Comment:       {torrent.Comment}");
    for (var tier = 0; tier < torrent.AnnounceList.Count; tier++)
        Console.WriteLine($"Tracker tier {tier}: {string.Join(", ", torrent.AnnounceList[tier])}");
    foreach (var url in torrent.UrlList) Console.WriteLine($"Web seed:      {url}");
    Console.WriteLine("Files:");
    foreach (var file in torrent.Files)
    {
        var note = file.IsPadding ? "  (padding)" : "";
        Console.WriteLine($"  {file.Length,12:N0}  @{file.Offset,-10:N0} {file.Path}{note}");
    }
    Console.WriteLine($"Magnet:        {torrent.ToMagnetLink()}");
}

/// <summary>Keeps the latest progress report (reported synchronously, on the hashing thread).</summary>
internal sealed class LastProgress : IProgress<TorrentCreationProgress>
{
    public TorrentCreationProgress Last { get; private set; }

    public int Reports { get; private set; }

    public void Report(TorrentCreationProgress value)
    {
        Last = value;
        Reports++;
    }
}
