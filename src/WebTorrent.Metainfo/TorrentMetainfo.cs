using System.Collections.Immutable;
using Bencode;
using MagnetUri;

namespace WebTorrent.Metainfo;

/// <summary>Which hashing scheme a torrent uses (BEP 3 v1, BEP 52 v2, or both).</summary>
public enum TorrentVersion
{
    /// <summary>BEP 3: SHA-1 pieces over the concatenated files.</summary>
    V1 = 1,

    /// <summary>BEP 52 only: per-file SHA-256 merkle trees.</summary>
    V2 = 2,

    /// <summary>Both: v1 pieces (with padding files) and a v2 file tree describing the same files.</summary>
    Hybrid = 3,
}

/// <summary>
/// A parsed .torrent file (BEP 3, BEP 12, BEP 19, BEP 27, BEP 47, BEP 52): its info-hashes, name, files, pieces,
/// trackers and web seeds. File paths are validated (or cleaned) so that none can leave the download folder.
/// Immutable; create one with <see cref="Parse(ReadOnlyMemory{byte}, TorrentParseOptions?)"/>, <see cref="Load"/>,
/// <see cref="ParseInfo"/>, or <see cref="TorrentCreator"/>.
/// </summary>
public sealed partial class TorrentMetainfo
{
    private TorrentMetainfo()
    {
    }

    /// <summary>v1, v2 or hybrid.</summary>
    public TorrentVersion Version { get; private set; }

    /// <summary>The v1 info-hash (SHA-1 of the raw info bytes), or null for a v2-only torrent.</summary>
    public InfoHash? InfoHashV1 { get; private set; }

    /// <summary>The v2 info-hash (SHA-256 of the raw info bytes), or null for a v1-only torrent.</summary>
    public InfoHash? InfoHashV2 { get; private set; }

    /// <summary>The info-hash peers and trackers know the torrent by: v1 when present, else v2.</summary>
    public InfoHash InfoHash => InfoHashV1 ?? InfoHashV2!.Value;

    /// <summary>The suggested name: the file name of a single-file torrent, the folder name of a multi-file one.</summary>
    public string Name { get; private set; } = "";

    /// <summary>True when the torrent holds one file stored as <see cref="Name"/> (no folder).</summary>
    public bool IsSingleFile { get; private set; }

    /// <summary>The files in piece order, padding files included (see <see cref="TorrentFileEntry.IsPadding"/>).</summary>
    public IReadOnlyList<TorrentFileEntry> Files { get; private set; } = [];

    /// <summary>Sum of all file lengths, padding files included (the length of the v1 piece stream).</summary>
    public long TotalLength { get; private set; }

    /// <summary>Sum of the lengths of the real files (padding excluded).</summary>
    public long ContentLength { get; private set; }

    /// <summary>Bytes per piece.</summary>
    public int PieceLength { get; private set; }

    /// <summary>Number of pieces.</summary>
    public int PieceCount { get; private set; }

    /// <summary>Length of the last v1 piece (equal to <see cref="PieceLength"/> when the total divides evenly).</summary>
    public int LastPieceLength { get; private set; }

    /// <summary>The v1 piece hashes: 20-byte SHA-1s concatenated (empty for a v2-only torrent).</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; private set; }

    /// <summary>Tracker tiers (BEP 12 <c>announce-list</c>, or the single <c>announce</c> as one tier).</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceList { get; private set; } = [];

    /// <summary>The <c>announce</c> URL, if any.</summary>
    public string? Announce { get; private set; }

    /// <summary>Every tracker URL once, tiers flattened in order (what parse-torrent calls <c>announce</c>).</summary>
    public IReadOnlyList<string> Trackers { get; private set; } = [];

    /// <summary>BEP 19 web seeds (<c>url-list</c>), each once.</summary>
    public IReadOnlyList<string> UrlList { get; private set; } = [];

    /// <summary>BEP 27 private flag: peers come from the trackers only (no DHT, PEX or LSD).</summary>
    public bool IsPrivate { get; private set; }

    /// <summary>The <c>created by</c> field.</summary>
    public string? CreatedBy { get; private set; }

    /// <summary>The <c>comment</c> field.</summary>
    public string? Comment { get; private set; }

    /// <summary>The <c>info.source</c> field (set by some private trackers to make the info-hash unique).</summary>
    public string? Source { get; private set; }

    /// <summary>
    /// The <c>creation date</c>. Stored as Unix seconds; some creators wrote milliseconds, which are recognised as such
    /// when the value is beyond year 9999 in seconds.
    /// </summary>
    public DateTimeOffset? CreationDate { get; private set; }

    /// <summary>The bencoded <c>info</c> dictionary exactly as it appeared (what the info-hashes are computed over).</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; private set; }

    /// <summary>The whole .torrent file (as parsed, or as created).</summary>
    public ReadOnlyMemory<byte> TorrentBytes { get; private set; }

    /// <summary>The decoded top-level dictionary, for fields this class does not model.</summary>
    public BencodeDictionary Root { get; private set; } = new();

    /// <summary>The decoded <c>info</c> dictionary.</summary>
    public BencodeDictionary Info { get; private set; } = new();

    /// <summary>The 20-byte SHA-1 of v1 piece <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPieceHash(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceHashes.Length / 20);
        return PieceHashes.Span.Slice(index * 20, 20);
    }

    /// <summary>The length of v1 piece <paramref name="index"/>.</summary>
    public int GetPieceSize(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return index == PieceCount - 1 ? LastPieceLength : PieceLength;
    }

    /// <summary>
    /// A magnet link for this torrent: its info-hashes (v1 and/or v2), name, trackers and web seeds. The info dictionary
    /// can then be fetched from peers with ut_metadata (BEP 9).
    /// </summary>
    public MagnetLink ToMagnetLink()
    {
        var hashes = ImmutableArray.CreateBuilder<InfoHash>(2);
        if (InfoHashV1 is { } v1) hashes.Add(v1);
        if (InfoHashV2 is { } v2) hashes.Add(v2);
        return new MagnetLink
        {
            InfoHashes = hashes.ToImmutable(),
            DisplayName = Name,
            Trackers = [.. Trackers],
            WebSeeds = [.. UrlList],
        };
    }

    /// <summary>Writes the .torrent file to <paramref name="path"/>.</summary>
    public Task SaveAsync(string path, CancellationToken cancellationToken = default) =>
        File.WriteAllBytesAsync(path, TorrentBytes, cancellationToken);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({InfoHash}, {Files.Count} files, {TotalLength} bytes)";
}
