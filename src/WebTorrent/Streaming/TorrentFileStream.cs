namespace WebTorrent.Streaming;

/// <summary>
/// A seekable read-only stream over one file of a torrent that is still downloading. A read waits until the piece under
/// the position is verified; while the stream is open, the pieces under its position and a read-ahead window are
/// downloaded before anything else. <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> awaits; <see cref="Read(byte[], int, int)"/> blocks.
/// </summary>
public sealed class TorrentFileStream : Stream
{
    private readonly Torrent _torrent;
    private readonly TorrentFile _file;
    private int? _window;
    private long _position;
    private bool _disposed;

    internal TorrentFileStream(Torrent torrent, TorrentFile file)
    {
        if (!torrent.HasMetadata) throw new InvalidOperationException("The torrent's metadata is not known yet.");
        if (torrent.State == TorrentState.Stopped) throw new ObjectDisposedException(nameof(Torrent), $"The torrent {torrent.Name} was removed.");
        _torrent = torrent;
        _file = file;
        torrent.EnsureStored(file);
    }

    /// <summary>The file this stream reads.</summary>
    public TorrentFile File => _file;

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;

    /// <inheritdoc/>
    public override bool CanSeek => !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _file.Length;
        }
    }

    /// <inheritdoc/>
    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _position;
        }
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _file.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0) throw new IOException("Seek before the start of the file.");
        _position = target;
        return target;
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Reads at the position: waits for the piece under it, then returns the bytes of that piece (at most).</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed or the torrent removed.</exception>
    /// <exception cref="IOException">The data could not be read from disk.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _position >= _file.Length) return 0;
        await _torrent.WaitUntilReadyAsync(cancellationToken);   // the files may still be being checked
        var absolute = _file.Offset + _position;
        var pieceLength = _torrent.PieceLengthInternal;
        var piece = (int)(absolute / pieceLength);
        var inPiece = (int)(absolute - ((long)piece * pieceLength));
        var storage = _torrent.Storage;
        var pieceSize = storage.GetPieceSize(piece);
        var count = (int)Math.Min(Math.Min(buffer.Length, _file.Length - _position), pieceSize - inPiece);
        if (_window is { } id) _torrent.MoveReadWindow(id, absolute);
        else _window = _torrent.OpenReadWindow(absolute);
        if (!_torrent.IsPieceStored(piece)) await _torrent.WaitForPieceAsync(piece, cancellationToken);
        var read = await storage.ReadAsync(piece, inPiece, buffer[..count], cancellationToken);
        if (read < count) throw new IOException($"Piece {piece} of {_torrent.Name} is verified but could not be read back from disk.");
        _position += read;
        return read;
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("The stream is read-only.");

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The stream is read-only.");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_window is { } id) _torrent.CloseReadWindow(id);
        }
        base.Dispose(disposing);
    }
}
