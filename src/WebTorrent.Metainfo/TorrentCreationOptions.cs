namespace WebTorrent.Metainfo;

/// <summary>What to put in a torrent being created. Everything is optional.</summary>
public sealed record TorrentCreationOptions
{
    /// <summary>The torrent's name; by default the file or folder name, as create-torrent picks it.</summary>
    public string? Name { get; init; }

    /// <summary>Bytes per piece; by default chosen from the total length (see <see cref="TorrentCreator.ChoosePieceLength"/>).</summary>
    public int? PieceLength { get; init; }

    /// <summary>Upper bound of the automatically chosen piece length (default 4 MiB, as create-torrent).</summary>
    public int MaxPieceLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>v1 (default, what WebTorrent peers use), <see cref="TorrentVersion.Hybrid"/> (v1 and v2 peers) or v2 only.</summary>
    public TorrentVersion Version { get; init; } = TorrentVersion.V1;

    /// <summary>Tracker tiers (BEP 12). The first URL also becomes <c>announce</c>. None by default.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? AnnounceList { get; init; }

    /// <summary>Web seeds (BEP 19 <c>url-list</c>).</summary>
    public IReadOnlyList<string>? UrlList { get; init; }

    /// <summary>The <c>comment</c> field.</summary>
    public string? Comment { get; init; }

    /// <summary>The <c>created by</c> field.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>The <c>creation date</c>; omitted when null (the default), which keeps output reproducible.</summary>
    public DateTimeOffset? CreationDate { get; init; }

    /// <summary>Mark the torrent private (BEP 27). Changes the info-hash.</summary>
    public bool Private { get; init; }

    /// <summary>The <c>info.source</c> field (changes the info-hash; used by private trackers).</summary>
    public string? Source { get; init; }

    /// <summary>When adding a folder, skip hidden files and OS junk (<c>.DS_Store</c>, <c>Thumbs.db</c>...), as create-torrent does (default true).</summary>
    public bool FilterJunkFiles { get; init; } = true;

    /// <summary>Receives the number of bytes hashed so far.</summary>
    public IProgress<TorrentCreationProgress>? Progress { get; init; }
}

/// <summary>Progress of hashing a new torrent.</summary>
/// <param name="BytesHashed">Bytes read and hashed so far.</param>
/// <param name="TotalBytes">Bytes expected in all (0 for sources of unknown length).</param>
public readonly record struct TorrentCreationProgress(long BytesHashed, long TotalBytes);

/// <summary>One file to put in a new torrent: where it goes in the torrent and how to read it.</summary>
public sealed class TorrentSourceFile
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _open;

    /// <summary>A file at <paramref name="path"/> inside the torrent whose content <paramref name="open"/> provides.</summary>
    /// <param name="path">Path segments inside the torrent (each must be a safe name, see <see cref="TorrentPath"/>).</param>
    /// <param name="open">Opens the content; the stream is read to its end and disposed.</param>
    /// <param name="length">The length if known (used to choose the piece length and checked after reading).</param>
    public TorrentSourceFile(IReadOnlyList<string> path, Func<CancellationToken, ValueTask<Stream>> open, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(open);
        if (path.Count == 0) throw new ArgumentException("A file needs at least one path segment.", nameof(path));
        foreach (var segment in path)
        {
            var problem = TorrentPath.FindProblem(segment ?? throw new ArgumentException("Null path segment.", nameof(path)));
            if (problem is not null) throw new ArgumentException($"Unsafe path segment '{segment}': {problem}.", nameof(path));
        }
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        Path = path.ToArray();
        Length = length;
        _open = open;
    }

    /// <summary>Path segments inside the torrent.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>The length if known in advance.</summary>
    public long? Length { get; }

    /// <summary>A file on disk, stored in the torrent as <paramref name="path"/> (default: its file name).</summary>
    public static TorrentSourceFile FromFile(string filePath, IReadOnlyList<string>? path = null)
    {
        var info = new FileInfo(filePath);
        if (!info.Exists) throw new FileNotFoundException("No such file.", filePath);
        return new TorrentSourceFile(path ?? [info.Name],
            _ => ValueTask.FromResult<Stream>(new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous)),
            info.Length);
    }

    /// <summary>In-memory content stored as <paramref name="path"/> (a path like <c>"folder/file.txt"</c> is split on <c>/</c>).</summary>
    public static TorrentSourceFile FromBytes(string path, ReadOnlyMemory<byte> content)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new TorrentSourceFile(path.Split('/'), _ => ValueTask.FromResult<Stream>(new MemoryStream(content.ToArray(), writable: false)), content.Length);
    }

    /// <summary>A stream read once to its end (then disposed), stored as <paramref name="path"/>; its length need not be known.</summary>
    public static TorrentSourceFile FromStream(string path, Stream stream, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(stream);
        length ??= stream.CanSeek ? stream.Length - stream.Position : null;
        return new TorrentSourceFile(path.Split('/'), _ => ValueTask.FromResult(stream), length);
    }

    internal ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) => _open(cancellationToken);
}
