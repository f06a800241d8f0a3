using System.Buffers;
using System.Buffers.Binary;

namespace WebTorrent.Protocol;

/// <summary>
/// The peer wire message parser: a pure function over bytes, no I/O and no allocation. It checks the declared
/// length against <see cref="PeerMessageLimits"/> before waiting for the body, so a hostile length never buffers.
/// </summary>
public static class PeerMessageReader
{
    /// <summary>
    /// Reads one message when <paramref name="reader"/> holds all of it, advancing past it; returns false without
    /// advancing when more bytes are needed.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The bytes break the protocol or a limit.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, out PeerMessage message, PeerMessageLimits? limits = null)
    {
        limits ??= PeerMessageLimits.Default;
        message = default;
        if (!reader.TryReadBigEndian(out int length)) return false;
        if (length == 0)
        {
            message = PeerMessage.KeepAlive;
            return true;
        }
        if ((uint)length > (uint)limits.MaxLengthPrefix)
        {
            reader.Rewind(4);
            throw Violation(ProtocolViolation.MessageTooLarge, $"Message of {(uint)length} bytes exceeds the limit of {limits.MaxLengthPrefix}.");
        }
        if (!reader.TryPeek(out var idByte))
        {
            reader.Rewind(4);
            return false;
        }
        var id = (PeerMessageType)idByte;
        // Check the length fits the id before waiting for the body: a short id with a long length is caught at once.
        CheckLength(id, length, limits);
        if (reader.Remaining < length)
        {
            reader.Rewind(4);
            return false;
        }
        try
        {
            if (id is PeerMessageType.Piece or PeerMessageType.Bitfield or PeerMessageType.Extended)
            {
                message = Parse(id, reader.UnreadSequence.Slice(1, length - 1), limits);
            }
            else
            {
                // Fixed-size messages (at most 13 bytes): read the fields from a span, no sequence slicing.
                Span<byte> copy = stackalloc byte[16];
                scoped ReadOnlySpan<byte> span = reader.UnreadSpan;
                if (span.Length < length)
                {
                    reader.TryCopyTo(copy[..length]);
                    span = copy;
                }
                message = ParseFixed(id, span[1..length], limits);
            }
        }
        catch (ProtocolViolationException)
        {
            reader.Rewind(4);
            throw;
        }
        reader.Advance(length);
        return true;
    }

    /// <summary>Reads one complete message from <paramref name="bytes"/>, which must hold exactly one.</summary>
    /// <exception cref="ProtocolViolationException">The bytes are not exactly one valid message.</exception>
    public static PeerMessage Read(ReadOnlySequence<byte> bytes, PeerMessageLimits? limits = null)
    {
        var reader = new SequenceReader<byte>(bytes);
        if (!TryRead(ref reader, out var message, limits) || !reader.End)
            throw Violation(ProtocolViolation.Truncated, reader.End ? "Incomplete message." : "Data after the message.");
        return message;
    }

    private static void CheckLength(PeerMessageType id, int length, PeerMessageLimits limits)
    {
        var ok = id switch
        {
            PeerMessageType.Choke or PeerMessageType.Unchoke or PeerMessageType.Interested or PeerMessageType.NotInterested
                or PeerMessageType.HaveAll or PeerMessageType.HaveNone => length == 1,
            PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast => length == 5,
            PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject => length == 13,
            PeerMessageType.Port => length == 3,
            PeerMessageType.Piece => length >= 9,
            PeerMessageType.Bitfield => length <= limits.MaxMessageLength,
            PeerMessageType.Extended => length >= 2 && length <= limits.MaxMessageLength,
            _ => throw Violation(ProtocolViolation.UnknownMessage, $"Unknown message id {(byte)id}."),
        };
        if (!ok) throw Violation(id == PeerMessageType.Piece ? ProtocolViolation.InvalidBlock : ProtocolViolation.InvalidMessageLength,
            $"A {id} message cannot be {length} bytes long.");
        if (id == PeerMessageType.Piece && length - 9 > limits.MaxBlockLength)
            throw Violation(ProtocolViolation.InvalidBlock, $"Block of {length - 9} bytes exceeds the block limit of {limits.MaxBlockLength}.");
        if (id == PeerMessageType.Bitfield && limits.Layout is { } layout && length - 1 != layout.BitfieldLength)
            throw Violation(ProtocolViolation.InvalidBitfield, $"Bitfield of {length - 1} bytes for {layout.PieceCount} pieces (expected {layout.BitfieldLength}).");
    }

    private static PeerMessage Parse(PeerMessageType id, ReadOnlySequence<byte> body, PeerMessageLimits limits)
    {
        switch (id)
        {
            case PeerMessageType.Choke:
            case PeerMessageType.Unchoke:
            case PeerMessageType.Interested:
            case PeerMessageType.NotInterested:
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                return PeerMessage.Simple(id);
            case PeerMessageType.Have:
            case PeerMessageType.Suggest:
            case PeerMessageType.AllowedFast:
                {
                    var index = ReadInt32(body, 0);
                    CheckIndex(id, index, limits);
                    return PeerMessage.ForPiece(id, index);
                }
            case PeerMessageType.Request:
            case PeerMessageType.Cancel:
            case PeerMessageType.Reject:
                {
                    var index = ReadInt32(body, 0);
                    var begin = ReadInt32(body, 4);
                    var length = ReadInt32(body, 8);
                    CheckBlock(id, index, begin, length, limits);
                    return PeerMessage.ForBlock(id, index, begin, length);
                }
            case PeerMessageType.Piece:
                {
                    var index = ReadInt32(body, 0);
                    var begin = ReadInt32(body, 4);
                    var block = body.Slice(8);
                    CheckBlock(id, index, begin, (int)block.Length, limits);
                    return PeerMessage.Piece(index, begin, block);
                }
            case PeerMessageType.Bitfield:
                if (limits.Layout is { } layout && layout.PieceCount % 8 != 0 && body.Length > 0)
                {
                    var last = body.Slice(body.Length - 1).FirstSpan[0];
                    var spareMask = (byte)(0xFF >> (layout.PieceCount % 8));
                    if ((last & spareMask) != 0)
                        throw Violation(ProtocolViolation.InvalidBitfield, "Bitfield has spare bits set past the last piece.");
                }
                return PeerMessage.Bitfield(body);
            case PeerMessageType.Port:
                {
                    Span<byte> port = stackalloc byte[2];
                    body.CopyTo(port);
                    return PeerMessage.ForPort(BinaryPrimitives.ReadUInt16BigEndian(port));
                }
            case PeerMessageType.Extended:
                return PeerMessage.Extended(body.FirstSpan[0], body.Slice(1));
            default:
                throw Violation(ProtocolViolation.UnknownMessage, $"Unknown message id {(byte)id}.");
        }
    }

    private static PeerMessage ParseFixed(PeerMessageType id, ReadOnlySpan<byte> body, PeerMessageLimits limits)
    {
        switch (id)
        {
            case PeerMessageType.Have:
            case PeerMessageType.Suggest:
            case PeerMessageType.AllowedFast:
                {
                    var index = BinaryPrimitives.ReadInt32BigEndian(body);
                    CheckIndex(id, index, limits);
                    return PeerMessage.ForPiece(id, index);
                }
            case PeerMessageType.Request:
            case PeerMessageType.Cancel:
            case PeerMessageType.Reject:
                {
                    var index = BinaryPrimitives.ReadInt32BigEndian(body);
                    var begin = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                    var length = BinaryPrimitives.ReadInt32BigEndian(body[8..]);
                    CheckBlock(id, index, begin, length, limits);
                    return PeerMessage.ForBlock(id, index, begin, length);
                }
            case PeerMessageType.Port:
                return PeerMessage.ForPort(BinaryPrimitives.ReadUInt16BigEndian(body));
            default:
                return PeerMessage.Simple(id);
        }
    }

    private static void CheckIndex(PeerMessageType id, int index, PeerMessageLimits limits)
    {
        if (index < 0 || (limits.Layout is { } layout && index >= layout.PieceCount))
            throw Violation(ProtocolViolation.InvalidPieceIndex, $"{id} of piece {(uint)index} outside the torrent.");
    }

    private static void CheckBlock(PeerMessageType id, int index, int begin, int length, PeerMessageLimits limits)
    {
        if (index < 0 || begin < 0 || length <= 0 || length > limits.MaxBlockLength ||
            (limits.Layout is { } layout && !layout.ContainsBlock(index, begin, length)))
            throw Violation(ProtocolViolation.InvalidBlock, $"{id} of block ({(uint)index}, {(uint)begin}, {(uint)length}) outside the torrent or over the block limit of {limits.MaxBlockLength}.");
    }

    private static int ReadInt32(ReadOnlySequence<byte> body, int offset)
    {
        var slice = body.Slice(offset, 4);
        if (slice.IsSingleSegment) return BinaryPrimitives.ReadInt32BigEndian(slice.FirstSpan);
        Span<byte> tmp = stackalloc byte[4];
        slice.CopyTo(tmp);
        return BinaryPrimitives.ReadInt32BigEndian(tmp);
    }

    internal static ProtocolViolationException Violation(ProtocolViolation reason, string message) => new(reason, message);
}
