namespace WebTorrent.Verifier;

/// <summary>One file of a torrent as stored on disk, in torrent order.</summary>
/// <param name="Path">Path relative to the torrent's directory, with '/' or the platform separator between components. Must not be rooted or contain "..".</param>
/// <param name="Length">Length in bytes; zero for an empty file.</param>
public sealed record TorrentFileEntry(string Path, long Length);
