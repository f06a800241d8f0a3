namespace WebTorrent.Metainfo;

/// <summary>BEP 47 file attributes (the <c>attr</c> key).</summary>
[Flags]
public enum TorrentFileAttributes
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary><c>p</c>: a padding file (zeros that align the next file to a piece boundary); never written to disk.</summary>
    Padding = 1,

    /// <summary><c>x</c>: executable.</summary>
    Executable = 2,

    /// <summary><c>h</c>: hidden.</summary>
    Hidden = 4,

    /// <summary><c>l</c>: a symbolic link (see <see cref="TorrentFileEntry.SymlinkPath"/>).</summary>
    Symlink = 8,
}

/// <summary>One file of a torrent.</summary>
public sealed class TorrentFileEntry
{
    internal TorrentFileEntry(IReadOnlyList<string> pathSegments, long length, long offset, TorrentFileAttributes attributes)
    {
        PathSegments = pathSegments;
        Length = length;
        Offset = offset;
        Attributes = attributes;
    }

    /// <summary>
    /// The file's path relative to the download folder, as safe segments. For a multi-file torrent the first segment
    /// is the torrent's name (the folder), as WebTorrent and parse-torrent lay files out.
    /// </summary>
    public IReadOnlyList<string> PathSegments { get; }

    /// <summary><see cref="PathSegments"/> joined with <c>/</c>.</summary>
    public string Path => field ??= string.Join('/', PathSegments);

    /// <summary>The file name (last segment).</summary>
    public string Name => PathSegments[^1];

    /// <summary>Length in bytes.</summary>
    public long Length { get; }

    /// <summary>
    /// Where the file starts in the torrent's piece space: the v1 byte stream (padding files included) when the
    /// torrent has v1 pieces; for a v2-only torrent, where each file starts on a piece boundary.
    /// </summary>
    public long Offset { get; }

    /// <summary>BEP 47 attributes.</summary>
    public TorrentFileAttributes Attributes { get; }

    /// <summary>True for a BEP 47 padding file.</summary>
    public bool IsPadding => (Attributes & TorrentFileAttributes.Padding) != 0;

    /// <summary>For a symlink (BEP 47 <c>symlink path</c>), its target segments; otherwise null.</summary>
    public IReadOnlyList<string>? SymlinkPath { get; internal set; }

    /// <summary>The v2 merkle root of the file (32 bytes), or empty for v1-only torrents and empty files.</summary>
    public ReadOnlyMemory<byte> PiecesRoot { get; internal set; }

    /// <summary>
    /// The v2 piece layer of the file (32-byte hashes of each piece), present for files larger than one piece when the
    /// .torrent carried its <c>piece layers</c>; otherwise empty.
    /// </summary>
    public ReadOnlyMemory<byte> PieceLayer { get; internal set; }

    /// <summary>The full path of this file under <paramref name="downloadFolder"/>, guaranteed to stay inside it.</summary>
    /// <exception cref="InvalidTorrentException">The path would leave the folder (it cannot for parsed torrents).</exception>
    public string ResolvePath(string downloadFolder) => TorrentPath.ResolveUnder(downloadFolder, PathSegments);

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Length} bytes)";
}
