using System.Buffers.Binary;

namespace WebRtc.Ice.Turn;

/// <summary>
/// TURN ChannelData framing (RFC 8656 section 12.4): a 2-byte channel number, a 2-byte length, the data, and padding
/// to a multiple of four (required over TCP, allowed over UDP; we always pad and accept either).
/// </summary>
public static class ChannelData
{
    /// <summary>The header length.</summary>
    public const int HeaderLength = 4;

    /// <summary>The lowest channel number.</summary>
    public const ushort MinChannelNumber = 0x4000;

    /// <summary>The highest channel number.</summary>
    public const ushort MaxChannelNumber = 0x4FFF;

    /// <summary>Whether <paramref name="channel"/> is a channel number a client may bind.</summary>
    public static bool IsValidChannelNumber(ushort channel) => channel is >= MinChannelNumber and <= MaxChannelNumber;

    /// <summary>Whether the datagram starts like ChannelData (first two bits 01, RFC 7983).</summary>
    public static bool IsChannelData(ReadOnlySpan<byte> datagram) => datagram.Length >= HeaderLength && (datagram[0] & 0xC0) == 0x40;

    /// <summary>The bytes <see cref="Write"/> writes for <paramref name="dataLength"/> bytes of data.</summary>
    public static int GetFramedLength(int dataLength) => HeaderLength + ((dataLength + 3) & ~3);

    /// <summary>
    /// Reads a ChannelData datagram: false when the channel number is outside 0x4000-0x4FFF, the length runs past the
    /// datagram, or more than three bytes of padding follow.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out ushort channel, out Range data)
    {
        channel = 0;
        data = default;
        if (datagram.Length < HeaderLength) return false;
        var number = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (!IsValidChannelNumber(number) || HeaderLength + length > datagram.Length || datagram.Length - HeaderLength - length > 3) return false;
        channel = number;
        data = new Range(HeaderLength, HeaderLength + length);
        return true;
    }

    /// <summary>Writes <paramref name="data"/> framed for <paramref name="channel"/>, padded; returns the bytes written.</summary>
    public static int Write(ushort channel, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (!IsValidChannelNumber(channel)) throw new ArgumentOutOfRangeException(nameof(channel), "Channel numbers are 0x4000-0x4FFF.");
        if (data.Length > ushort.MaxValue) throw new ArgumentException("ChannelData carries at most 65535 bytes.", nameof(data));
        var total = GetFramedLength(data.Length);
        if (destination.Length < total) throw new ArgumentException("The destination is too small.", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination, channel);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)data.Length);
        data.CopyTo(destination[HeaderLength..]);
        destination[(HeaderLength + data.Length)..total].Clear();
        return total;
    }
}
