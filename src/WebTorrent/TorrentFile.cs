using WebTorrent.Metainfo;
using WebTorrent.Streaming;

namespace WebTorrent;

/// <summary>One file of a <see cref="Torrent"/>: its place in the torrent, progress, priority, and a stream over it.</summary>
public sealed class TorrentFile
{
    private readonly Torrent _torrent;
    private readonly TorrentFileEntry _entry;

    internal TorrentFile(Torrent torrent, TorrentFileEntry entry, int index)
    {
        _torrent = torrent;
        _entry = entry;
        Index = index;
    }

    /// <summary>The file's index in the torrent's file list (padding files counted), as BEP 53 <c>so</c> numbers files.</summary>
    public int Index { get; }

    /// <summary>The file name.</summary>
    public string Name => _entry.Name;

    /// <summary>The path inside the download folder, '/' separated (a multi-file torrent's name is the first segment).</summary>
    public string Path => _entry.Path;

    /// <summary>The full path on disk.</summary>
    public string FullPath => _entry.ResolvePath(_torrent.DownloadFolder);

    /// <summary>Where the file starts in the torrent's piece space.</summary>
    public long Offset => _entry.Offset;

    /// <summary>The file's length in bytes.</summary>
    public long Length => _entry.Length;

    /// <summary>The torrent this file belongs to.</summary>
    public Torrent Torrent => _torrent;

    /// <summary>The verified share of the file, 0..1.</summary>
    public double Progress => Length == 0 ? 1 : (double)_torrent.FileVerifiedBytes(this) / Length;

    /// <summary>Whether every byte of the file is verified.</summary>
    public bool IsDone => _torrent.FileVerifiedBytes(this) == Length;

    /// <summary>How much the file is wanted; <see cref="FilePriority.Skip"/> deselects it.</summary>
    public FilePriority Priority
    {
        get => PriorityUnlocked;
        set => _torrent.SetFilePriority(this, value);
    }

    internal FilePriority PriorityUnlocked { get; set; } = FilePriority.Normal;

    internal bool IsPadding => _entry.IsPadding;

    /// <summary>Downloads the file (at <see cref="FilePriority.Normal"/> unless it has a priority already).</summary>
    public void Select()
    {
        if (Priority == FilePriority.Skip) Priority = FilePriority.Normal;
    }

    /// <summary>Skips the file; what is on disk stays.</summary>
    public void Deselect() => Priority = FilePriority.Skip;

    /// <summary>
    /// A seekable read-only stream over the file that waits for the pieces it needs and downloads them first (the pieces
    /// under its position and a read-ahead window). Reading a skipped file downloads just what is read.
    /// </summary>
    /// <exception cref="InvalidOperationException">The torrent's metadata is not known yet.</exception>
    public Stream OpenRead() => new TorrentFileStream(_torrent, this);

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Length} bytes)";
}
