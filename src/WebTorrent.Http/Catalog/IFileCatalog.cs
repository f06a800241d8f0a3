using MagnetUri;

namespace WebTorrent.Http.Catalog;

/// <summary>
/// What the HTTP server serves: the torrents of a client and a way to read each file. The server depends on this
/// seam only, so it is tested over an in-memory catalog and runs over <c>WebTorrentClient</c> through an adapter.
/// </summary>
internal interface IFileCatalog
{
    /// <summary>A snapshot of the torrents, in a stable order.</summary>
    IReadOnlyList<ICatalogTorrent> Torrents { get; }

    /// <summary>The torrent with this info-hash (v1 or v2), or <see langword="null"/>.</summary>
    ICatalogTorrent? Find(InfoHash infoHash);
}

/// <summary>One torrent as the server sees it.</summary>
internal interface ICatalogTorrent
{
    /// <summary>The info-hash that names the torrent in URLs.</summary>
    InfoHash InfoHash { get; }

    /// <summary>Display name (the torrent's name, or the hash while metadata is missing).</summary>
    string Name { get; }

    /// <summary>Whether the file list is known yet.</summary>
    bool HasMetadata { get; }

    /// <summary>Total length in bytes (0 before metadata).</summary>
    long Length { get; }

    /// <summary>Download progress, 0..1.</summary>
    double Progress { get; }

    /// <summary>The torrent's creation date, used as <c>Last-Modified</c>; <see langword="null"/> when unknown.</summary>
    DateTimeOffset? LastModified { get; }

    /// <summary>The files (empty before metadata), indexed by <see cref="ICatalogFile.Index"/>.</summary>
    IReadOnlyList<ICatalogFile> Files { get; }
}

/// <summary>One file of a torrent.</summary>
internal interface ICatalogFile
{
    /// <summary>Position in the torrent's file list.</summary>
    int Index { get; }

    /// <summary>Path inside the torrent, '/' separated, as the torrent names it.</summary>
    string Path { get; }

    /// <summary>File name (the last path segment).</summary>
    string Name { get; }

    /// <summary>Length in bytes.</summary>
    long Length { get; }

    /// <summary>Download progress, 0..1.</summary>
    double Progress { get; }

    /// <summary>
    /// Opens a seekable read-only stream over the file that waits for (and prioritises) the pieces it reads. The
    /// caller disposes it; disposing releases the read window.
    /// </summary>
    Stream OpenRead();
}
