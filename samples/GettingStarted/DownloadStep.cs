namespace GettingStarted;

/// <summary>Step 1 of the page: download a torrent.</summary>
internal static class DownloadStep
{
    /// <summary>A client with the defaults: TCP on every interface, DHT, trackers, PEX and local discovery.</summary>
    public static WebTorrentClient CreateClient(string downloadFolder)
    {
        #region client
        var client = new WebTorrentClient(new WebTorrentClientOptions { DownloadFolder = downloadFolder });
        #endregion
        return client;
    }

    /// <summary>Adds a magnet link, a .torrent path or an info-hash and waits until every piece is verified.</summary>
    public static async Task<Torrent> RunAsync(WebTorrentClient client, string magnetOrTorrent, CancellationToken cancellationToken)
    {
        #region download
        var torrent = await client.AddAsync(magnetOrTorrent, cancellationToken: cancellationToken);
        await torrent.WaitForMetadataAsync(cancellationToken);      // a magnet's info dictionary comes from the peers
        Console.WriteLine($"{torrent.Name}: {torrent.Files.Count} files, {torrent.Length:N0} bytes");
        foreach (var file in torrent.Files) Console.WriteLine($"  {file.Path} -> {file.FullPath}");

        await torrent.WaitForCompletionAsync(cancellationToken);    // every piece downloaded and hash-checked
        Console.WriteLine($"Done: {torrent.Progress:P0}, {torrent.Downloaded:N0} bytes downloaded");
        #endregion
        return torrent;
    }
}
