using System.Buffers;

namespace WebTorrent.Protocol;

/// <summary>
/// The BEP 3 handshake: <c>19 "BitTorrent protocol"</c>, 8 reserved bytes, the 20-byte info-hash and the 20-byte peer id.
/// </summary>
public sealed class PeerHandshake
{
    /// <summary>Length of a handshake on the wire.</summary>
    public const int Length = 68;

    /// <summary>Reserved bit of the BEP 10 extension protocol (byte 5, 0x10).</summary>
    public const ulong ExtensionProtocolBit = 0x0000_0000_0010_0000;

    /// <summary>Reserved bit of the BEP 6 fast extension (byte 7, 0x04).</summary>
    public const ulong FastExtensionBit = 0x04;

    /// <summary>Reserved bit of the BEP 5 DHT (byte 7, 0x01).</summary>
    public const ulong DhtBit = 0x01;

    private static ReadOnlySpan<byte> Protocol => "\u0013BitTorrent protocol"u8;

    /// <summary>Creates a handshake.</summary>
    /// <exception cref="ArgumentException">The info-hash or peer id is not 20 bytes.</exception>
    public PeerHandshake(ReadOnlySpan<byte> infoHash, ReadOnlySpan<byte> peerId, ulong reserved)
    {
        if (infoHash.Length != 20) throw new ArgumentException("An info-hash is 20 bytes.", nameof(infoHash));
        if (peerId.Length != 20) throw new ArgumentException("A peer id is 20 bytes.", nameof(peerId));
        InfoHash = infoHash.ToArray();
        PeerId = peerId.ToArray();
        Reserved = reserved;
    }

    /// <summary>The torrent's info-hash (20 bytes).</summary>
    public ReadOnlyMemory<byte> InfoHash { get; }

    /// <summary>The sender's peer id (20 bytes).</summary>
    public ReadOnlyMemory<byte> PeerId { get; }

    /// <summary>The 8 reserved bytes, big-endian.</summary>
    public ulong Reserved { get; }

    /// <summary>Whether the sender speaks the BEP 10 extension protocol.</summary>
    public bool SupportsExtensionProtocol => (Reserved & ExtensionProtocolBit) != 0;

    /// <summary>Whether the sender speaks the BEP 6 fast extension.</summary>
    public bool SupportsFastExtension => (Reserved & FastExtensionBit) != 0;

    /// <summary>Whether the sender runs a DHT node (BEP 5).</summary>
    public bool SupportsDht => (Reserved & DhtBit) != 0;

    /// <summary>Writes the handshake (68 bytes).</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(Length);
        Protocol.CopyTo(span);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(span[20..], Reserved);
        InfoHash.Span.CopyTo(span[28..]);
        PeerId.Span.CopyTo(span[48..]);
        output.Advance(Length);
    }

    /// <summary>Reads a handshake when all 68 bytes are there; returns false without advancing when more are needed.</summary>
    /// <exception cref="ProtocolViolationException">The bytes are not a BitTorrent handshake (checked as soon as they arrive).</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PeerHandshake? handshake)
    {
        handshake = null;
        Span<byte> bytes = stackalloc byte[Length];
        var available = (int)Math.Min(reader.Remaining, Length);
        reader.TryCopyTo(bytes[..available]);
        var prefix = Math.Min(available, Protocol.Length);
        if (!bytes[..prefix].SequenceEqual(Protocol[..prefix]))
            throw new ProtocolViolationException(ProtocolViolation.InvalidHandshake, "Not a BitTorrent handshake (expected \"\\x13BitTorrent protocol\").");
        if (available < Length) return false;
        handshake = new PeerHandshake(bytes.Slice(28, 20), bytes.Slice(48, 20), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[20..]));
        reader.Advance(Length);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Handshake(info-hash {Convert.ToHexStringLower(InfoHash.Span)}, peer {Convert.ToHexStringLower(PeerId.Span)}, reserved {Reserved:x16})";
}
