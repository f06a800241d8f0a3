namespace WebTorrent.Verifier;

/// <summary>One file of a torrent as stored on disk, in torrent order.</summary>
/// <param name="Path">Path relative to the torrent's directory, with '/' or the platform separator between components. Must not be rooted or contain "..".</param>
/// <param name="Length">Length in bytes; zero for an empty file.</param>
/// <param name="IsPadding">
/// A BEP 47 padding file (attribute "p", as in hybrid v1+v2 torrents): its bytes are zeros by definition and are never
/// read from disk, so it need not exist.
/// </param>
public sealed record TorrentFileEntry(string Path, long Length, bool IsPadding = false);
