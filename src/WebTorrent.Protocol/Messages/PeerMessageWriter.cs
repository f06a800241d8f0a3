using System.Buffers;
using System.Buffers.Binary;

namespace WebTorrent.Protocol;

/// <summary>Writes peer wire messages into any <see cref="IBufferWriter{T}"/> (a <c>PipeWriter</c>, an <c>ArrayBufferWriter</c>); nothing allocated.</summary>
public static class PeerMessageWriter
{
    /// <summary>Writes <paramref name="message"/>.</summary>
    public static void Write(IBufferWriter<byte> output, in PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (message.Type)
        {
            case PeerMessageType.KeepAlive:
                WriteKeepAlive(output);
                break;
            case PeerMessageType.Choke:
            case PeerMessageType.Unchoke:
            case PeerMessageType.Interested:
            case PeerMessageType.NotInterested:
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                WriteSimple(output, message.Type);
                break;
            case PeerMessageType.Have:
            case PeerMessageType.Suggest:
            case PeerMessageType.AllowedFast:
                WritePieceIndex(output, message.Type, message.Index);
                break;
            case PeerMessageType.Request:
            case PeerMessageType.Cancel:
            case PeerMessageType.Reject:
                WriteBlockRequest(output, message.Type, message.Index, message.Begin, message.Length);
                break;
            case PeerMessageType.Piece:
                WritePieceHeader(output, message.Index, message.Begin, checked((int)message.Payload.Length));
                WriteSequence(output, message.Payload);
                break;
            case PeerMessageType.Bitfield:
                WriteHeader(output, PeerMessageType.Bitfield, checked((int)message.Payload.Length));
                WriteSequence(output, message.Payload);
                break;
            case PeerMessageType.Port:
                WritePort(output, (ushort)message.Port);
                break;
            case PeerMessageType.Extended:
                WriteExtendedHeader(output, message.ExtendedId, checked((int)message.Payload.Length));
                WriteSequence(output, message.Payload);
                break;
            default:
                throw new ArgumentException($"Unknown message type {message.Type}.", nameof(message));
        }
    }

    /// <summary>Writes a keep-alive (four zero bytes).</summary>
    public static void WriteKeepAlive(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(4);
        BinaryPrimitives.WriteInt32BigEndian(span, 0);
        output.Advance(4);
    }

    /// <summary>Writes choke, unchoke, interested, not interested, have all or have none.</summary>
    public static void WriteSimple(IBufferWriter<byte> output, PeerMessageType type)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is not (PeerMessageType.Choke or PeerMessageType.Unchoke or PeerMessageType.Interested or PeerMessageType.NotInterested
            or PeerMessageType.HaveAll or PeerMessageType.HaveNone))
            throw new ArgumentException($"{type} carries fields.", nameof(type));
        var span = output.GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = (byte)type;
        output.Advance(5);
    }

    /// <summary>Writes have, suggest or allowed fast.</summary>
    public static void WritePieceIndex(IBufferWriter<byte> output, PeerMessageType type, int index)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is not (PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast))
            throw new ArgumentException($"{type} is not have, suggest or allowed fast.", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var span = output.GetSpan(9);
        BinaryPrimitives.WriteInt32BigEndian(span, 5);
        span[4] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[5..], index);
        output.Advance(9);
    }

    /// <summary>Writes request, cancel or reject.</summary>
    public static void WriteBlockRequest(IBufferWriter<byte> output, PeerMessageType type, int index, int begin, int length)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is not (PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject))
            throw new ArgumentException($"{type} is not request, cancel or reject.", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var span = output.GetSpan(17);
        BinaryPrimitives.WriteInt32BigEndian(span, 13);
        span[4] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(span[9..], begin);
        BinaryPrimitives.WriteInt32BigEndian(span[13..], length);
        output.Advance(17);
    }

    /// <summary>Writes a whole piece message.</summary>
    public static void WritePiece(IBufferWriter<byte> output, int index, int begin, ReadOnlySpan<byte> block)
    {
        WritePieceHeader(output, index, begin, block.Length);
        output.Write(block);
    }

    /// <summary>Writes the 13-byte header of a piece message whose <paramref name="blockLength"/> bytes the caller writes next.</summary>
    public static void WritePieceHeader(IBufferWriter<byte> output, int index, int begin, int blockLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegative(blockLength);
        var span = output.GetSpan(13);
        BinaryPrimitives.WriteInt32BigEndian(span, checked(9 + blockLength));
        span[4] = (byte)PeerMessageType.Piece;
        BinaryPrimitives.WriteInt32BigEndian(span[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(span[9..], begin);
        output.Advance(13);
    }

    /// <summary>Writes a bitfield message.</summary>
    public static void WriteBitfield(IBufferWriter<byte> output, ReadOnlySpan<byte> bits)
    {
        WriteHeader(output, PeerMessageType.Bitfield, bits.Length);
        output.Write(bits);
    }

    /// <summary>Writes a port message (BEP 5).</summary>
    public static void WritePort(IBufferWriter<byte> output, ushort port)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(7);
        BinaryPrimitives.WriteInt32BigEndian(span, 3);
        span[4] = (byte)PeerMessageType.Port;
        BinaryPrimitives.WriteUInt16BigEndian(span[5..], port);
        output.Advance(7);
    }

    /// <summary>Writes an extended message (BEP 10).</summary>
    public static void WriteExtended(IBufferWriter<byte> output, byte extendedId, ReadOnlySpan<byte> payload)
    {
        WriteExtendedHeader(output, extendedId, payload.Length);
        output.Write(payload);
    }

    /// <summary>Writes the 6-byte header of an extended message whose <paramref name="payloadLength"/> bytes the caller writes next.</summary>
    public static void WriteExtendedHeader(IBufferWriter<byte> output, byte extendedId, int payloadLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        var span = output.GetSpan(6);
        BinaryPrimitives.WriteInt32BigEndian(span, checked(2 + payloadLength));
        span[4] = (byte)PeerMessageType.Extended;
        span[5] = extendedId;
        output.Advance(6);
    }

    private static void WriteHeader(IBufferWriter<byte> output, PeerMessageType type, int payloadLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, checked(1 + payloadLength));
        span[4] = (byte)type;
        output.Advance(5);
    }

    private static void WriteSequence(IBufferWriter<byte> output, ReadOnlySequence<byte> payload)
    {
        foreach (var segment in payload) output.Write(segment.Span);
    }
}
