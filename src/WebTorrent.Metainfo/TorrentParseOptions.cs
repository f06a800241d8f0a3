using Bencode;

namespace WebTorrent.Metainfo;

/// <summary>Limits and policies for reading .torrent files. Every limit has a safe default.</summary>
public sealed record TorrentParseOptions
{
    /// <summary>The defaults: lenient bencode (as real torrents need), unsafe paths rejected.</summary>
    public static TorrentParseOptions Default { get; } = new();

    /// <summary>
    /// How the bencode is read. Lenient by default, because real torrents have unsorted keys; the info-hash is
    /// always computed over the raw <c>info</c> bytes as they are, never re-encoded.
    /// </summary>
    public BencodeReaderOptions Bencode { get; init; } = BencodeReaderOptions.Lenient;

    /// <summary>Largest accepted .torrent file, in bytes (default 64 MiB).</summary>
    public int MaxTorrentSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Largest accepted <c>info</c> dictionary, in bytes (default 32 MiB).</summary>
    public int MaxInfoSize { get; init; } = 32 * 1024 * 1024;

    /// <summary>Largest accepted piece length, in bytes (default 256 MiB; clients allocate whole pieces).</summary>
    public int MaxPieceLength { get; init; } = 256 * 1024 * 1024;

    /// <summary>Most files (padding files included) accepted in one torrent (default 250,000).</summary>
    public int MaxFileCount { get; init; } = 250_000;

    /// <summary>Most path segments in one file path, the torrent name excluded (default 64).</summary>
    public int MaxPathDepth { get; init; } = 64;

    /// <summary>Longest accepted path of one file in UTF-16 characters, the torrent name included (default 4096).</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>What to do with paths that could escape the download folder (default: reject).</summary>
    public UnsafePathPolicy UnsafePaths { get; init; } = UnsafePathPolicy.Reject;

    /// <summary>Check each v2 piece layer against its file's <c>pieces root</c> (default true).</summary>
    public bool VerifyPieceLayers { get; init; } = true;
}
