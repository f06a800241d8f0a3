using System.Buffers;
using System.Numerics;

namespace WebTorrent.Protocol;

/// <summary>The pieces the remote peer announced (bitfield, have, have all/none). Read it on any thread.</summary>
public sealed class PeerPieces
{
    private readonly Lock _gate = new();
    private readonly int _maxBits;
    private byte[] _bits = [];
    private bool _all;
    private int _pieceCount = -1;

    internal PeerPieces(int maxBytes) => _maxBits = maxBytes * 8;

    /// <summary>Whether the peer said it has every piece (have all, or a full bitfield with a known layout).</summary>
    public bool HasAll
    {
        get
        {
            lock (_gate) return _all || (_pieceCount > 0 && CountUnlocked() == _pieceCount);
        }
    }

    /// <summary>Number of pieces the peer has (for have all with an unknown layout, 0 until the layout is known).</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _all ? Math.Max(_pieceCount, 0) : CountUnlocked();
        }
    }

    /// <summary>Whether the peer has piece <paramref name="index"/>.</summary>
    public bool Has(int index)
    {
        if (index < 0) return false;
        lock (_gate)
        {
            if (_all) return _pieceCount < 0 || index < _pieceCount;
            return index >> 3 < _bits.Length && (_bits[index >> 3] & (0x80 >> (index & 7))) != 0;
        }
    }

    /// <summary>Copies the bitfield (BEP 3 order: high bit first) into a new array of <paramref name="pieceCount"/> bits.</summary>
    public byte[] ToBitfield(int pieceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        var result = new byte[(pieceCount + 7) / 8];
        for (var i = 0; i < pieceCount; i++)
        {
            if (Has(i)) result[i >> 3] |= (byte)(0x80 >> (i & 7));
        }
        return result;
    }

    private int CountUnlocked()
    {
        var count = 0;
        foreach (var b in _bits) count += BitOperations.PopCount(b);
        return count;
    }

    internal void Set(int index)
    {
        lock (_gate)
        {
            if (_all) return;
            if (index >= _maxBits) throw new ProtocolViolationException(ProtocolViolation.InvalidPieceIndex, $"Have of piece {index} beyond any bitfield this wire accepts.");
            if (index >> 3 >= _bits.Length) Array.Resize(ref _bits, Math.Min(Math.Max((index >> 3) + 1, _bits.Length * 2), (_maxBits + 7) / 8));
            _bits[index >> 3] |= (byte)(0x80 >> (index & 7));
        }
    }

    internal void Load(ReadOnlySequence<byte> bits)
    {
        lock (_gate)
        {
            _all = false;
            _bits = bits.ToArray();
        }
    }

    internal void SetAll(bool all)
    {
        lock (_gate)
        {
            _all = all;
            _bits = [];
        }
    }

    internal void SetPieceCount(int pieceCount)
    {
        lock (_gate)
        {
            var bytes = (pieceCount + 7) / 8;
            if (_bits.Length > bytes)
            {
                for (var i = bytes; i < _bits.Length; i++)
                {
                    if (_bits[i] != 0) throw new ProtocolViolationException(ProtocolViolation.InvalidPieceIndex, "The peer announced pieces beyond the torrent.");
                }
            }
            if (pieceCount % 8 != 0 && bytes - 1 < _bits.Length && (_bits[bytes - 1] & (0xFF >> (pieceCount % 8))) != 0)
                throw new ProtocolViolationException(ProtocolViolation.InvalidBitfield, "The peer announced pieces beyond the torrent.");
            Array.Resize(ref _bits, bytes);
            _pieceCount = pieceCount;
        }
    }
}
