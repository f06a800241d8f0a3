using WebTorrent.Http;

namespace GettingStarted;

/// <summary>Step 3 of the page: stream a file to a browser's video element while it downloads.</summary>
internal static class StreamStep
{
    /// <summary>Serves <paramref name="client"/>'s torrents over HTTP and prints a video element for the torrent's first .mp4 file.</summary>
    public static async Task<TorrentHttpServer> StartAsync(WebTorrentClient client, Torrent torrent, CancellationToken cancellationToken)
    {
        #region stream
        var server = new TorrentHttpServer(client);                 // 127.0.0.1, a free port, under /webtorrent/
        await server.StartAsync(cancellationToken);
        await torrent.WaitForMetadataAsync(cancellationToken);
        var video = torrent.Files.First(f => f.Name.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase));
        var url = server.GetFileUri(video);                         // Range requests fetch the pieces they need first
        Console.WriteLine($"<video src=\"{url.AbsoluteUri}\" controls autoplay></video>");   // or: vlc {url.AbsoluteUri}
        #endregion
        return server;
    }
}
