using System.Buffers;

namespace WebTorrent.Protocol;

/// <summary>
/// One peer wire message as parsed by <see cref="PeerMessageReader"/> or to be written by <see cref="PeerMessageWriter"/>.
/// For bitfield, piece and extended messages <see cref="Payload"/> is a slice of the input, valid until the reader advances.
/// </summary>
public readonly struct PeerMessage : IEquatable<PeerMessage>
{
    private PeerMessage(PeerMessageType type, int index = 0, int begin = 0, int length = 0, byte extendedId = 0, ReadOnlySequence<byte> payload = default)
    {
        Type = type;
        Index = index;
        Begin = begin;
        Length = length;
        ExtendedId = extendedId;
        Payload = payload;
    }

    /// <summary>The message id.</summary>
    public PeerMessageType Type { get; }

    /// <summary>Piece index (have, request, piece, cancel, suggest, reject, allowed fast); the port for <see cref="PeerMessageType.Port"/>.</summary>
    public int Index { get; }

    /// <summary>Byte offset in the piece (request, piece, cancel, reject).</summary>
    public int Begin { get; }

    /// <summary>Block length (request, cancel, reject; for piece the payload's length).</summary>
    public int Length { get; }

    /// <summary>The extended message id (BEP 10; 0 is the extended handshake).</summary>
    public byte ExtendedId { get; }

    /// <summary>Bitfield bytes, piece block, or extended payload (after the extended id).</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>The DHT port of a <see cref="PeerMessageType.Port"/> message.</summary>
    public int Port => Type == PeerMessageType.Port ? Index : 0;

    /// <summary>Number of bytes the message takes on the wire, length prefix included.</summary>
    public long WireLength => Type switch
    {
        PeerMessageType.KeepAlive => 4,
        PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast => 9,
        PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject => 17,
        PeerMessageType.Piece => 13 + Payload.Length,
        PeerMessageType.Bitfield => 5 + Payload.Length,
        PeerMessageType.Extended => 6 + Payload.Length,
        PeerMessageType.Port => 7,
        _ => 5,
    };

    /// <summary>A keep-alive.</summary>
    public static PeerMessage KeepAlive => new(PeerMessageType.KeepAlive);

    /// <summary>A message without fields: choke, unchoke, interested, not interested, have all, have none.</summary>
    public static PeerMessage Simple(PeerMessageType type) => type is PeerMessageType.Choke or PeerMessageType.Unchoke or PeerMessageType.Interested
        or PeerMessageType.NotInterested or PeerMessageType.HaveAll or PeerMessageType.HaveNone or PeerMessageType.KeepAlive
        ? new(type)
        : throw new ArgumentException($"{type} carries fields.", nameof(type));

    /// <summary>A have, suggest or allowed fast message.</summary>
    public static PeerMessage ForPiece(PeerMessageType type, int index) => type is PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast
        ? new(type, index)
        : throw new ArgumentException($"{type} is not have, suggest or allowed fast.", nameof(type));

    /// <summary>A request, cancel or reject message.</summary>
    public static PeerMessage ForBlock(PeerMessageType type, int index, int begin, int length) => type is PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject
        ? new(type, index, begin, length)
        : throw new ArgumentException($"{type} is not request, cancel or reject.", nameof(type));

    /// <summary>A piece message carrying <paramref name="block"/>.</summary>
    public static PeerMessage Piece(int index, int begin, ReadOnlySequence<byte> block) => new(PeerMessageType.Piece, index, begin, checked((int)block.Length), payload: block);

    /// <summary>A bitfield message.</summary>
    public static PeerMessage Bitfield(ReadOnlySequence<byte> bits) => new(PeerMessageType.Bitfield, length: checked((int)bits.Length), payload: bits);

    /// <summary>A port message.</summary>
    public static PeerMessage ForPort(ushort port) => new(PeerMessageType.Port, port);

    /// <summary>An extended message.</summary>
    public static PeerMessage Extended(byte extendedId, ReadOnlySequence<byte> payload) => new(PeerMessageType.Extended, length: checked((int)payload.Length), extendedId: extendedId, payload: payload);

    /// <inheritdoc/>
    public bool Equals(PeerMessage other) =>
        Type == other.Type && Index == other.Index && Begin == other.Begin && Length == other.Length && ExtendedId == other.ExtendedId &&
        Payload.Length == other.Payload.Length && SequenceEquals(Payload, other.Payload);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PeerMessage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Index, Begin, Length, ExtendedId, Payload.Length);

    /// <summary>Equality of type, fields and payload bytes.</summary>
    public static bool operator ==(PeerMessage left, PeerMessage right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PeerMessage left, PeerMessage right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast => $"{Type}({Index})",
        PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject or PeerMessageType.Piece => $"{Type}({Index}, {Begin}, {Length})",
        PeerMessageType.Bitfield => $"Bitfield({Payload.Length} bytes)",
        PeerMessageType.Extended => $"Extended({ExtendedId}, {Payload.Length} bytes)",
        PeerMessageType.Port => $"Port({Port})",
        _ => Type.ToString(),
    };

    private static bool SequenceEquals(ReadOnlySequence<byte> a, ReadOnlySequence<byte> b)
    {
        if (a.IsSingleSegment && b.IsSingleSegment) return a.FirstSpan.SequenceEqual(b.FirstSpan);
        var ra = new SequenceReader<byte>(a);
        var rb = new SequenceReader<byte>(b);
        while (ra.TryRead(out var x))
        {
            if (!rb.TryRead(out var y) || x != y) return false;
        }
        return rb.End;
    }
}
