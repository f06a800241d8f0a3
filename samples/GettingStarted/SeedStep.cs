namespace GettingStarted;

/// <summary>Step 2 of the page: seed a folder.</summary>
internal static class SeedStep
{
    /// <summary>Creates a torrent of <paramref name="path"/> announced to <paramref name="trackerUrl"/> and seeds it in place.</summary>
    public static async Task<Torrent> RunAsync(WebTorrentClient client, string path, string trackerUrl, CancellationToken cancellationToken)
    {
        #region seed
        var torrent = await client.SeedAsync(path, new SeedOptions
        {
            AnnounceList = [[trackerUrl]],        // tiers of tracker URLs (BEP 12); DHT and local discovery find peers too
            Comment = "seeded with WebTorrent for .NET",
        }, cancellationToken);
        var magnet = torrent.Metainfo!.ToMagnetLink();
        Console.WriteLine($"Seeding {torrent.Name} on port {client.ListenEndPoint?.Port}: {magnet}");
        await torrent.Metainfo.SaveAsync(path + ".torrent", cancellationToken);   // to share as a file
        #endregion
        return torrent;
    }
}
