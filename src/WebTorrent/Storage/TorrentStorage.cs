using Microsoft.Win32.SafeHandles;
using WebTorrent.Metainfo;

namespace WebTorrent.Storage;

/// <summary>
/// The bytes of one torrent on disk: blocks are written and read at (piece, offset) in the torrent's piece space and
/// land in the right files, across file boundaries (v1 and hybrid), or within one file (v2-only: files start on piece
/// boundaries, see <see cref="TorrentFileEntry.Offset"/>).
/// </summary>
/// <remarks>
/// <para>Every path comes from <see cref="TorrentFileEntry.ResolvePath"/>, so nothing is written outside the download folder.
/// Files are created lazily, on the first write that touches them, and only for selected files: the parts of a block
/// that fall in a deselected file, in a BEP 47 padding file, or in a gap of the piece space are dropped on write and read
/// back as zeros only if they are padding or a gap. A piece spanning a deselected file therefore cannot be re-read whole
/// from disk; the engine keeps such boundary pieces in memory or re-downloads them.</para>
/// <para>Thread-safe: blocks of different (or the same) pieces may be written and read concurrently. At most
/// <see cref="TorrentStorageOptions.MaxOpenFiles"/> handles are kept open; a handle in use is never closed under a caller.</para>
/// </remarks>
public sealed class TorrentStorage : IDisposable, IAsyncDisposable
{
    private readonly StorageFile[] _files;
    private readonly long[] _fileEnds;
    private readonly TorrentStorageOptions _options;
    private readonly bool _filesAligned;
    private readonly Dictionary<int, OpenHandle> _handles = [];
    private readonly Lock _gate = new();
    private long _useClock;
    private bool _disposed;

    /// <summary>Storage for <paramref name="torrent"/> under <paramref name="downloadFolder"/>; every file starts selected.</summary>
    /// <exception cref="InvalidTorrentException">A file path would leave the download folder.</exception>
    public TorrentStorage(TorrentMetainfo torrent, string downloadFolder, TorrentStorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(downloadFolder);
        _options = options ?? new TorrentStorageOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxOpenFiles, 1, nameof(options));
        DownloadFolder = Path.GetFullPath(downloadFolder);
        PieceLength = torrent.PieceLength;
        PieceCount = torrent.PieceCount;
        TotalLength = torrent.TotalLength;
        _filesAligned = torrent.Version == TorrentVersion.V2;
        _files = new StorageFile[torrent.Files.Count];
        _fileEnds = new long[_files.Length];
        for (var i = 0; i < _files.Length; i++)
        {
            var entry = torrent.Files[i];
            _files[i] = new StorageFile(entry.IsPadding ? null : entry.ResolvePath(DownloadFolder), entry.Offset, entry.Length);
            _fileEnds[i] = entry.Offset + entry.Length;
        }
    }

    /// <summary>The full path of the download folder.</summary>
    public string DownloadFolder { get; }

    /// <summary>The nominal piece length.</summary>
    public int PieceLength { get; }

    /// <summary>The number of pieces.</summary>
    public int PieceCount { get; }

    /// <summary>The sum of the file lengths, padding files included (for v1 and hybrid torrents, the length of the piece space).</summary>
    public long TotalLength { get; }

    /// <summary>The number of files (the torrent's <see cref="TorrentMetainfo.Files"/>, padding included).</summary>
    public int FileCount => _files.Length;

    /// <summary>The path on disk of file <paramref name="fileIndex"/>, or null for a padding file.</summary>
    public string? GetFilePath(int fileIndex) => _files[CheckFile(fileIndex)].Path;

    /// <summary>Whether file <paramref name="fileIndex"/> is written to disk.</summary>
    public bool IsFileSelected(int fileIndex) => Volatile.Read(ref _files[CheckFile(fileIndex)].Selected);

    /// <summary>Select or deselect file <paramref name="fileIndex"/>. Deselecting never deletes what is already on disk.</summary>
    public void SetFileSelected(int fileIndex, bool selected) => Volatile.Write(ref _files[CheckFile(fileIndex)].Selected, selected);

    /// <summary>The length of piece <paramref name="pieceIndex"/> (the last one may be short).</summary>
    public int GetPieceSize(int pieceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
        var start = (long)pieceIndex * PieceLength;
        if (!_filesAligned) return (int)Math.Min(PieceLength, TotalLength - start);
        // v2-only: every file starts on a piece boundary, so a piece lies in one file and ends with it at the latest.
        return (int)Math.Min(PieceLength, _fileEnds[FirstFileAt(start)] - start);
    }

    /// <summary>Create the selected zero-length files (no block ever touches them).</summary>
    public void CreateEmptyFiles()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var file in _files)
        {
            if (file.Length != 0 || file.Path is null || !file.Selected || File.Exists(file.Path)) continue;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file.Path)!);
            using (File.Create(file.Path)) { }
        }
    }

    /// <summary>Write <paramref name="data"/> at <paramref name="offset"/> within piece <paramref name="pieceIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The block does not lie inside the piece.</exception>
    public async ValueTask WriteAsync(int pieceIndex, int offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var position = CheckBlock(pieceIndex, offset, data.Length);
        var end = position + data.Length;
        for (var index = FirstFileAt(position); index < _files.Length && _files[index].Offset < end; index++)
        {
            var file = _files[index];
            if (file.Path is null || file.Length == 0 || !file.Selected) continue;
            var from = Math.Max(position, file.Offset);
            var to = Math.Min(end, file.Offset + file.Length);
            if (from >= to) continue;
            var handle = Acquire(index, create: true)!;
            try
            {
                await RandomAccess.WriteAsync(handle.Handle, data[(int)(from - position)..(int)(to - position)], from - file.Offset, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Release(handle);
            }
        }
    }

    /// <summary>
    /// Read up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> within piece <paramref name="pieceIndex"/>.
    /// Padding and gaps read as zeros.
    /// </summary>
    /// <returns>
    /// How many bytes from the start of the buffer are valid: less than the buffer's length when a file is missing or
    /// shorter on disk than in the torrent.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The block does not lie inside the piece.</exception>
    public async ValueTask<int> ReadAsync(int pieceIndex, int offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var position = CheckBlock(pieceIndex, offset, buffer.Length);
        var end = position + buffer.Length;
        var done = position;
        for (var index = FirstFileAt(position); index < _files.Length && done < end; index++)
        {
            var file = _files[index];
            if (file.Offset > done)
            {
                // A gap in the piece space (v2-style alignment): zeros.
                var gapEnd = Math.Min(end, file.Offset);
                buffer.Span[(int)(done - position)..(int)(gapEnd - position)].Clear();
                done = gapEnd;
                if (done >= end) break;
            }
            var to = Math.Min(end, file.Offset + file.Length);
            if (to <= done) continue;
            var slice = buffer[(int)(done - position)..(int)(to - position)];
            if (file.Path is null)
            {
                slice.Span.Clear();
            }
            else
            {
                var handle = Acquire(index, create: false);
                if (handle is null) return (int)(done - position);
                try
                {
                    var fileOffset = done - file.Offset;
                    while (!slice.IsEmpty)
                    {
                        var read = await RandomAccess.ReadAsync(handle.Handle, slice, fileOffset, cancellationToken).ConfigureAwait(false);
                        if (read == 0) return (int)(done - position);
                        slice = slice[read..];
                        fileOffset += read;
                        done += read;
                    }
                }
                finally
                {
                    Release(handle);
                }
            }
            done = to;
        }
        if (done < end) buffer.Span[(int)(done - position)..].Clear();
        return buffer.Length;
    }

    /// <summary>Close every open file handle (they reopen on demand).</summary>
    public void CloseFiles()
    {
        lock (_gate)
        {
            foreach (var (index, handle) in _handles.ToArray())
            {
                if (handle.Leases != 0) continue;
                handle.Handle.Dispose();
                _handles.Remove(index);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var handle in _handles.Values) handle.Handle.Dispose();
            _handles.Clear();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private int CheckFile(int fileIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, _files.Length);
        return fileIndex;
    }

    private long CheckBlock(int pieceIndex, int offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var size = GetPieceSize(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if ((long)offset + length > size) throw new ArgumentOutOfRangeException(nameof(offset), $"block {offset}+{length} exceeds piece {pieceIndex} of {size} bytes");
        return ((long)pieceIndex * PieceLength) + offset;
    }

    /// <summary>The first file whose end lies after <paramref name="position"/>.</summary>
    private int FirstFileAt(long position)
    {
        int low = 0, high = _fileEnds.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_fileEnds[mid] <= position) low = mid + 1; else high = mid;
        }
        return low;
    }

    private OpenHandle? Acquire(int index, bool create)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_handles.TryGetValue(index, out var handle) && create && !handle.Writable)
            {
                // Opened read-only earlier; a write needs a writable handle. The old one closes when its last user leaves.
                _handles.Remove(index);
                handle.Stale = true;
                if (handle.Leases == 0) handle.Handle.Dispose();
                handle = null;
            }
            if (handle is null)
            {
                var file = _files[index];
                if (!create && !File.Exists(file.Path)) return null;
                EvictIfFull();
                handle = new OpenHandle(Open(file, create), create);
                _handles.Add(index, handle);
            }
            handle.Leases++;
            handle.LastUse = ++_useClock;
            return handle;
        }
    }

    private void Release(OpenHandle handle)
    {
        lock (_gate)
        {
            handle.Leases--;
            if ((_disposed || handle.Stale) && handle.Leases == 0) handle.Handle.Dispose();
        }
    }

    private void EvictIfFull()
    {
        while (_handles.Count >= _options.MaxOpenFiles)
        {
            var victim = -1;
            long oldest = long.MaxValue;
            foreach (var (index, handle) in _handles)
            {
                if (handle.Leases == 0 && handle.LastUse < oldest)
                {
                    oldest = handle.LastUse;
                    victim = index;
                }
            }
            if (victim < 0) return; // every handle is in use: go over the bound briefly rather than close under a caller
            _handles.Remove(victim, out var closed);
            closed!.Handle.Dispose();
        }
    }

    private SafeFileHandle Open(StorageFile file, bool create)
    {
        if (create)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file.Path)!);
            var handle = _options.AllocateDiskSpace && file.Length > 0 && !File.Exists(file.Path) ? CreateAllocated(file) : null;
            handle ??= File.OpenHandle(file.Path!, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            if (_options.PreallocateFiles && RandomAccess.GetLength(handle) < file.Length) RandomAccess.SetLength(handle, file.Length);
            return handle;
        }
        return File.OpenHandle(file.Path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
    }

    /// <summary>Creates a new file with its disk space reserved; null when it appeared meanwhile (then it is opened as it is).</summary>
    private static SafeFileHandle? CreateAllocated(StorageFile file)
    {
        try
        {
            return File.OpenHandle(file.Path!, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous, file.Length);
        }
        catch (IOException) when (File.Exists(file.Path))
        {
            return null;
        }
    }

    private struct StorageFile(string? path, long offset, long length)
    {
        public readonly string? Path = path;
        public readonly long Offset = offset;
        public readonly long Length = length;
        public bool Selected = true;
    }

    private sealed class OpenHandle(SafeFileHandle handle, bool writable)
    {
        public SafeFileHandle Handle { get; } = handle;
        public bool Writable { get; } = writable;
        public bool Stale { get; set; }
        public int Leases { get; set; }
        public long LastUse { get; set; }
    }
}
