using System.CommandLine;
using System.Globalization;
using MagnetUri;
using WebTorrent.Metainfo;

namespace WebTorrent.Cli;

/// <summary><c>info &lt;magnet|torrent|info-hash&gt;</c>: print what a magnet link or .torrent file says.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A magnet link, a .torrent file or an info-hash." };
        var all = new Option<bool>("--all-files") { Description = "List every file (default: the first 50)." };
        var command = new Command("info", "Print what a magnet link or .torrent file holds (no network).") { source, all };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var text = result.GetValue(source)!.Trim();
            if (text.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase))
            {
                if (!MagnetLink.TryParse(text, out var link)) throw new CommandLineException($"'{text}' is not a valid magnet link.");
                Print(link);
            }
            else if (File.Exists(text))
            {
                TorrentMetainfo torrent;
                try
                {
                    torrent = await TorrentMetainfo.LoadAsync(text, cancellationToken: cancellationToken);
                }
                catch (InvalidTorrentException e)
                {
                    throw new CommandLineException($"{text}: not a valid torrent: {e.Message}");
                }
                Print(torrent, result.GetValue(all));
            }
            else if (InfoHash.TryParse(text, out var hash))
            {
                Print(new MagnetLink { InfoHashes = [hash] });
            }
            else
            {
                throw new CommandLineException($"'{text}' is not a magnet link, an existing .torrent file or an info-hash.");
            }
            return 0;
        }, cancellationToken));
        return command;
    }

    private static void Print(MagnetLink link)
    {
        foreach (var hash in link.InfoHashes) Console.WriteLine($"info-hash {(hash.Version == InfoHashVersion.V1 ? "v1" : "v2")}: {hash.ToHex()}");
        if (link.DisplayName is not null) Console.WriteLine($"name:         {link.DisplayName}");
        if (link.ExactLength is { } length) Console.WriteLine($"length:       {length:N0} bytes");
        foreach (var tracker in link.Trackers) Console.WriteLine($"tracker:      {tracker}");
        foreach (var seed in link.WebSeeds) Console.WriteLine($"web seed:     {seed}");
        foreach (var peer in link.PeerAddresses) Console.WriteLine($"peer:         {peer}");
        if (!link.SelectOnly.IsEmpty) Console.WriteLine($"select only:  {string.Join(',', link.SelectOnly)}");
        Console.WriteLine($"magnet:       {link}");
    }

    private static void Print(TorrentMetainfo torrent, bool allFiles)
    {
        Console.WriteLine($"name:         {torrent.Name}");
        Console.WriteLine($"version:      {torrent.Version}");
        if (torrent.InfoHashV1 is { } v1) Console.WriteLine($"info-hash v1: {v1.ToHex()}");
        if (torrent.InfoHashV2 is { } v2) Console.WriteLine($"info-hash v2: {v2.ToHex()}");
        Console.WriteLine($"size:         {torrent.ContentLength:N0} bytes ({Format.Bytes(torrent.ContentLength)})");
        Console.WriteLine($"pieces:       {torrent.PieceCount:N0} of {Format.Bytes(torrent.PieceLength)}");
        Console.WriteLine($"private:      {(torrent.IsPrivate ? "yes" : "no")}");
        if (torrent.CreatedBy is not null) Console.WriteLine($"created by:   {torrent.CreatedBy}");
        if (torrent.CreationDate is { } date) Console.WriteLine($"created:      {date.ToString("u", CultureInfo.InvariantCulture)}");
        if (torrent.Comment is not null) Console.WriteLine($"comment:      {torrent.Comment}");
        foreach (var tracker in torrent.Trackers) Console.WriteLine($"tracker:      {tracker}");
        foreach (var seed in torrent.UrlList) Console.WriteLine($"web seed:     {seed}");
        var files = torrent.Files.Where(f => !f.IsPadding).ToList();
        Console.WriteLine($"files:        {files.Count}");
        var shown = allFiles ? files.Count : Math.Min(files.Count, 50);
        for (var i = 0; i < shown; i++) Console.WriteLine($"  {files[i].Length,15:N0}  {files[i].Path}");
        if (shown < files.Count) Console.WriteLine($"  ... {files.Count - shown} more (--all-files)");
        Console.WriteLine($"magnet:       {torrent.ToMagnetLink()}");
    }
}
