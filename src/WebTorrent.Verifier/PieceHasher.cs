using System.Buffers;

namespace WebTorrent.Verifier;

/// <summary>
/// Verifies a piece while its blocks arrive, without a second pass over the data: in-order bytes are hashed as they come,
/// blocks that arrive ahead of a gap wait in one pooled buffer (at most one piece) until the gap is filled.
/// One instance serves piece after piece (<see cref="Begin"/>, <see cref="Append"/>..., <see cref="Verify"/>) and allocates
/// nothing in steady state. Not thread-safe: use one per connection or per piece in flight.
/// </summary>
public sealed class PieceHasher : IDisposable
{
    private readonly TorrentLayout _layout;
    private readonly IncrementalPieceHash _hash;
    private readonly List<(int Offset, int Length)> _pending = new(16);
    private byte[]? _pendingBuffer;
    private bool _disposed;

    /// <summary>Creates a hasher for the pieces of one torrent.</summary>
    /// <param name="layout">The torrent (v1 or v2).</param>
    public PieceHasher(TorrentLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        _hash = layout.CreateIncrementalHash();
    }

    /// <summary>The piece being hashed, or -1 between pieces.</summary>
    public int PieceIndex { get; private set; } = -1;

    /// <summary>Size of the current piece in bytes.</summary>
    public int PieceSize { get; private set; }

    /// <summary>Bytes received so far for the current piece, in order or not.</summary>
    public int ReceivedBytes { get; private set; }

    /// <summary>Bytes from the start of the piece that have already been hashed.</summary>
    public int HashedBytes { get; private set; }

    /// <summary>Whether every byte of the current piece has arrived, so <see cref="Verify"/> can be called.</summary>
    public bool IsComplete => PieceIndex >= 0 && HashedBytes == PieceSize;

    /// <summary>Starts a piece, abandoning any piece in progress.</summary>
    /// <param name="pieceIndex">The piece.</param>
    public void Begin(int pieceIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PieceSize = _layout.GetPieceSize(pieceIndex);
        _hash.Begin(pieceIndex);
        _pending.Clear();
        PieceIndex = pieceIndex;
        ReceivedBytes = 0;
        HashedBytes = 0;
    }

    /// <summary>Adds one block of the current piece.</summary>
    /// <param name="offset">Offset of the block within the piece.</param>
    /// <param name="block">The block's bytes (copied if it cannot be hashed yet).</param>
    /// <returns>True if the block was taken; false if it is empty or overlaps bytes already received (a duplicate), in which case it is ignored.</returns>
    /// <exception cref="InvalidOperationException">No piece was begun.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The block does not lie within the piece.</exception>
    public bool Append(int offset, ReadOnlySpan<byte> block)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (PieceIndex < 0)
        {
            throw new InvalidOperationException("Call Begin(pieceIndex) before appending blocks.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if ((long)offset + block.Length > PieceSize)
        {
            throw new ArgumentOutOfRangeException(nameof(block), $"Block [{offset}, {(long)offset + block.Length}) lies outside piece {PieceIndex} of {PieceSize} bytes.");
        }

        if (block.IsEmpty || offset < HashedBytes || OverlapsPending(offset, block.Length, out var insertAt))
        {
            return false;
        }

        ReceivedBytes += block.Length;
        if (offset == HashedBytes)
        {
            _hash.Append(block);
            HashedBytes += block.Length;
            DrainPending();
        }
        else
        {
            _pendingBuffer ??= ArrayPool<byte>.Shared.Rent(_layout.PieceLength);
            block.CopyTo(_pendingBuffer.AsSpan(offset));
            _pending.Insert(insertAt, (offset, block.Length));
        }

        return true;
    }

    /// <summary>Finishes the current piece and compares it with its expected hash. The hasher is then ready for the next <see cref="Begin"/>.</summary>
    /// <returns>True when the piece matches.</returns>
    /// <exception cref="InvalidOperationException">The piece is not complete.</exception>
    public bool Verify()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsComplete)
        {
            throw new InvalidOperationException($"Piece {PieceIndex} is not complete: {HashedBytes} of {PieceSize} bytes are contiguous.");
        }

        var matches = _hash.Finish();
        PieceIndex = -1;
        return matches;
    }

    /// <summary>Returns the pooled buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _hash.Dispose();
        if (_pendingBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_pendingBuffer);
            _pendingBuffer = null;
        }
    }

    private bool OverlapsPending(int offset, int length, out int insertAt)
    {
        // _pending is sorted by offset and its ranges do not overlap.
        var low = 0;
        var high = _pending.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (_pending[mid].Offset < offset)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        insertAt = low;
        var end = (long)offset + length;
        if (low < _pending.Count && _pending[low].Offset < end)
        {
            return true;
        }

        return low > 0 && _pending[low - 1].Offset + (long)_pending[low - 1].Length > offset;
    }

    private void DrainPending()
    {
        var drained = 0;
        while (drained < _pending.Count && _pending[drained].Offset == HashedBytes)
        {
            var (offset, length) = _pending[drained];
            _hash.Append(_pendingBuffer.AsSpan(offset, length));
            HashedBytes += length;
            drained++;
        }

        if (drained > 0)
        {
            _pending.RemoveRange(0, drained);
        }
    }
}
