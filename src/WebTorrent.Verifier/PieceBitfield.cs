using System.Numerics;

namespace WebTorrent.Verifier;

/// <summary>
/// One bit per piece: set when the piece has been verified. Setting and clearing bits is thread-safe and atomic per bit,
/// so a reader never sees a half-updated piece. <see cref="CopyTo"/> writes the BitTorrent wire format (piece 0 in the
/// high bit of the first byte).
/// </summary>
public sealed class PieceBitfield
{
    private readonly ulong[] _words;
    private int _count;

    /// <summary>Creates an all-clear bitfield.</summary>
    /// <param name="length">Number of pieces.</param>
    public PieceBitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _words = new ulong[(length + 63) / 64];
    }

    /// <summary>Number of pieces.</summary>
    public int Length { get; }

    /// <summary>Number of set bits.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether every piece is set (true for a torrent without pieces).</summary>
    public bool IsComplete => Count == Length;

    /// <summary>Whether no piece is set.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Number of bytes of the wire format: one bit per piece, rounded up.</summary>
    public int ByteLength => (Length + 7) / 8;

    /// <summary>Gets or sets one piece's bit.</summary>
    /// <param name="index">The piece.</param>
    public bool this[int index]
    {
        get
        {
            CheckIndex(index);
            return (Volatile.Read(ref _words[index >> 6]) & (1UL << index)) != 0;
        }

        set
        {
            if (value)
            {
                Set(index);
            }
            else
            {
                Clear(index);
            }
        }
    }

    /// <summary>Reads a bitfield in the BitTorrent wire format.</summary>
    /// <param name="bytes">At least <c>(length + 7) / 8</c> bytes; spare bits at the end must be clear.</param>
    /// <param name="length">Number of pieces.</param>
    /// <returns>The bitfield.</returns>
    /// <exception cref="ArgumentException">Too few bytes, or spare bits are set.</exception>
    public static PieceBitfield FromBytes(ReadOnlySpan<byte> bytes, int length)
    {
        var bitfield = new PieceBitfield(length);
        if (bytes.Length != bitfield.ByteLength)
        {
            throw new ArgumentException($"A bitfield of {length} pieces has {bitfield.ByteLength} bytes, got {bytes.Length}.", nameof(bytes));
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                if ((bytes[i] & (0x80 >> bit)) == 0)
                {
                    continue;
                }

                var index = (i * 8) + bit;
                if (index >= length)
                {
                    throw new ArgumentException("Spare bits at the end of the bitfield are set.", nameof(bytes));
                }

                bitfield.Set(index);
            }
        }

        return bitfield;
    }

    /// <summary>Sets one piece's bit.</summary>
    /// <param name="index">The piece.</param>
    /// <returns>True if the bit was clear before.</returns>
    public bool Set(int index)
    {
        CheckIndex(index);
        var mask = 1UL << index;
        var before = Interlocked.Or(ref _words[index >> 6], mask);
        if ((before & mask) != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        return true;
    }

    /// <summary>Clears one piece's bit.</summary>
    /// <param name="index">The piece.</param>
    /// <returns>True if the bit was set before.</returns>
    public bool Clear(int index)
    {
        CheckIndex(index);
        var mask = 1UL << index;
        var before = Interlocked.And(ref _words[index >> 6], ~mask);
        if ((before & mask) == 0)
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Index of the first clear bit at or after <paramref name="start"/>, or -1.</summary>
    /// <param name="start">Where to start looking.</param>
    /// <returns>The piece index, or -1 if every later piece is set.</returns>
    public int FirstClear(int start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        for (var word = start >> 6; word < _words.Length; word++)
        {
            var clear = ~Volatile.Read(ref _words[word]);
            if (word == start >> 6)
            {
                clear &= ulong.MaxValue << (start & 63);
            }

            if (clear != 0)
            {
                var index = (word << 6) + BitOperations.TrailingZeroCount(clear);
                return index < Length ? index : -1;
            }
        }

        return -1;
    }

    /// <summary>Writes the BitTorrent wire format (piece 0 is the high bit of byte 0; spare bits clear).</summary>
    /// <param name="destination">At least <see cref="ByteLength"/> bytes.</param>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
        {
            throw new ArgumentException($"Needs {ByteLength} bytes.", nameof(destination));
        }

        destination[..ByteLength].Clear();
        for (var word = 0; word < _words.Length; word++)
        {
            var bits = Volatile.Read(ref _words[word]);
            while (bits != 0)
            {
                var index = (word << 6) + BitOperations.TrailingZeroCount(bits);
                destination[index >> 3] |= (byte)(0x80 >> (index & 7));
                bits &= bits - 1;
            }
        }
    }

    /// <summary>The BitTorrent wire format in a new array.</summary>
    /// <returns><see cref="ByteLength"/> bytes.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[ByteLength];
        CopyTo(bytes);
        return bytes;
    }

    private void CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
    }
}
