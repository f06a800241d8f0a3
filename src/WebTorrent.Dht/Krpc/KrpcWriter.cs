using System.Buffers;
using Bencode;

namespace WebTorrent.Dht.Krpc;

/// <summary>The optional fields of a KRPC response (the <c>r</c> dictionary besides <c>id</c>).</summary>
public ref struct KrpcResponseFields
{
    /// <summary>Compact IPv4 node infos.</summary>
    public ReadOnlySpan<byte> Nodes { get; set; }

    /// <summary>Compact IPv6 node infos (BEP 32).</summary>
    public ReadOnlySpan<byte> Nodes6 { get; set; }

    /// <summary>A write token.</summary>
    public ReadOnlySpan<byte> Token { get; set; }

    /// <summary>Concatenated compact peers, written as the <c>values</c> list of <see cref="PeerSize"/>-byte strings.</summary>
    public ReadOnlySpan<byte> Peers { get; set; }

    /// <summary>Size of one compact peer in <see cref="Peers"/>: 6 (IPv4) or 18 (IPv6).</summary>
    public int PeerSize { get; set; }

    /// <summary>True to write an empty <c>values</c> list even when <see cref="Peers"/> is empty.</summary>
    public bool WriteEmptyValues { get; set; }

    /// <summary>BEP 33 seeds bloom filter.</summary>
    public ReadOnlySpan<byte> BloomSeeds { get; set; }

    /// <summary>BEP 33 peers bloom filter.</summary>
    public ReadOnlySpan<byte> BloomPeers { get; set; }

    /// <summary>BEP 44 raw bencoded value.</summary>
    public ReadOnlySpan<byte> Value { get; set; }

    /// <summary>BEP 44 public key.</summary>
    public ReadOnlySpan<byte> PublicKey { get; set; }

    /// <summary>BEP 44 signature.</summary>
    public ReadOnlySpan<byte> Signature { get; set; }

    /// <summary>BEP 44 sequence number (written when <see cref="HasSequence"/>).</summary>
    public long Sequence { get; set; }

    /// <summary>Whether to write <see cref="Sequence"/>.</summary>
    public bool HasSequence { get; set; }
}

/// <summary>
/// Encodes KRPC messages (BEP 5, 32, 33, 44) canonically (sorted keys) into an <see cref="IBufferWriter{T}"/>,
/// allocation-free. Every message carries our client version <see cref="ClientVersion"/>.
/// </summary>
public static class KrpcWriter
{
    /// <summary>The <c>v</c> key we send: "WN" and a two-byte version.</summary>
    public static ReadOnlySpan<byte> ClientVersion => "WN\0\u0001"u8;

    /// <summary>Writes a <c>ping</c> query.</summary>
    public static void WritePing(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id)
    {
        var w = BeginQuery(output, id);
        EndQuery(ref w, "ping"u8, transactionId);
    }

    /// <summary>Writes a <c>find_node</c> query.</summary>
    public static void WriteFindNode(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id, NodeId target, KrpcWant want = KrpcWant.None)
    {
        var w = BeginQuery(output, id);
        WriteId(ref w, "target"u8, target);
        WriteWant(ref w, want);
        EndQuery(ref w, "find_node"u8, transactionId);
    }

    /// <summary>Writes a <c>get_peers</c> query, optionally with BEP 33 <c>scrape</c>/<c>noseed</c>.</summary>
    public static void WriteGetPeers(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id, NodeId infoHash,
        KrpcWant want = KrpcWant.None, bool scrape = false, bool noSeed = false)
    {
        var w = BeginQuery(output, id);
        WriteId(ref w, "info_hash"u8, infoHash);
        if (noSeed) w.WriteInteger("noseed"u8, 1);
        if (scrape) w.WriteInteger("scrape"u8, 1);
        WriteWant(ref w, want);
        EndQuery(ref w, "get_peers"u8, transactionId);
    }

    /// <summary>Writes an <c>announce_peer</c> query.</summary>
    public static void WriteAnnouncePeer(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id, NodeId infoHash,
        int port, ReadOnlySpan<byte> token, bool impliedPort = false, bool seed = false)
    {
        var w = BeginQuery(output, id);
        if (impliedPort) w.WriteInteger("implied_port"u8, 1);
        WriteId(ref w, "info_hash"u8, infoHash);
        w.WriteInteger("port"u8, port);
        if (seed) w.WriteInteger("seed"u8, 1);
        w.WriteString("token"u8, token);
        EndQuery(ref w, "announce_peer"u8, transactionId);
    }

    /// <summary>Writes a BEP 44 <c>get</c> query; <paramref name="sequence"/> asks for a mutable value only if newer.</summary>
    public static void WriteGet(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id, NodeId target, long? sequence = null)
    {
        var w = BeginQuery(output, id);
        if (sequence is { } seq) w.WriteInteger("seq"u8, seq);
        WriteId(ref w, "target"u8, target);
        EndQuery(ref w, "get"u8, transactionId);
    }

    /// <summary>Writes a BEP 44 <c>put</c> query; immutable when <paramref name="publicKey"/> is empty.</summary>
    public static void WritePut(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id, ReadOnlySpan<byte> token,
        ReadOnlySpan<byte> value, ReadOnlySpan<byte> publicKey = default, ReadOnlySpan<byte> signature = default,
        long sequence = 0, ReadOnlySpan<byte> salt = default, long? compareAndSwap = null)
    {
        var w = BeginQuery(output, id, compareAndSwap);
        var mutable = !publicKey.IsEmpty;
        if (mutable) w.WriteString("k"u8, publicKey);
        if (mutable && !salt.IsEmpty) w.WriteString("salt"u8, salt);
        if (mutable) w.WriteInteger("seq"u8, sequence);
        if (mutable) w.WriteString("sig"u8, signature);
        w.WriteString("token"u8, token);
        w.WriteString("v"u8);
        w.WriteRawValue(value);
        EndQuery(ref w, "put"u8, transactionId);
    }

    /// <summary>Writes a response. <paramref name="requesterAddress"/> (compact) is BEP 42's <c>ip</c> key, if given.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, NodeId id,
        scoped in KrpcResponseFields fields, ReadOnlySpan<byte> requesterAddress = default)
    {
        var w = new BencodeWriter(output);
        w.WriteDictionaryStart();
        if (!requesterAddress.IsEmpty) w.WriteString("ip"u8, requesterAddress);
        w.WriteString("r"u8);
        w.WriteDictionaryStart();
        if (!fields.BloomPeers.IsEmpty) w.WriteString("BFpe"u8, fields.BloomPeers);
        if (!fields.BloomSeeds.IsEmpty) w.WriteString("BFsd"u8, fields.BloomSeeds);
        WriteId(ref w, "id"u8, id);
        if (!fields.PublicKey.IsEmpty) w.WriteString("k"u8, fields.PublicKey);
        if (!fields.Nodes.IsEmpty) w.WriteString("nodes"u8, fields.Nodes);
        if (!fields.Nodes6.IsEmpty) w.WriteString("nodes6"u8, fields.Nodes6);
        if (fields.HasSequence) w.WriteInteger("seq"u8, fields.Sequence);
        if (!fields.Signature.IsEmpty) w.WriteString("sig"u8, fields.Signature);
        if (!fields.Token.IsEmpty) w.WriteString("token"u8, fields.Token);
        if (!fields.Value.IsEmpty)
        {
            w.WriteString("v"u8);
            w.WriteRawValue(fields.Value);
        }
        if (fields.PeerSize > 0 && (!fields.Peers.IsEmpty || fields.WriteEmptyValues))
        {
            w.WriteString("values"u8);
            w.WriteListStart();
            for (var offset = 0; offset + fields.PeerSize <= fields.Peers.Length; offset += fields.PeerSize)
                w.WriteString(fields.Peers.Slice(offset, fields.PeerSize));
            w.WriteEnd();
        }
        w.WriteEnd();
        w.WriteString("t"u8, transactionId);
        w.WriteString("v"u8, ClientVersion);
        w.WriteString("y"u8, "r"u8);
        w.WriteEnd();
    }

    /// <summary>Writes an error message.</summary>
    public static void WriteError(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId, int code, ReadOnlySpan<byte> utf8Message)
    {
        var w = new BencodeWriter(output);
        w.WriteDictionaryStart();
        w.WriteString("e"u8);
        w.WriteListStart();
        w.WriteInteger(code);
        w.WriteString(utf8Message);
        w.WriteEnd();
        w.WriteString("t"u8, transactionId);
        w.WriteString("v"u8, ClientVersion);
        w.WriteString("y"u8, "e"u8);
        w.WriteEnd();
    }

    private static BencodeWriter BeginQuery(IBufferWriter<byte> output, NodeId id, long? compareAndSwap = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var w = new BencodeWriter(output);
        w.WriteDictionaryStart();
        w.WriteString("a"u8);
        w.WriteDictionaryStart();
        if (compareAndSwap is { } cas) w.WriteInteger("cas"u8, cas);
        WriteId(ref w, "id"u8, id);
        return w;
    }

    private static void EndQuery(ref BencodeWriter w, ReadOnlySpan<byte> method, ReadOnlySpan<byte> transactionId)
    {
        w.WriteEnd();
        w.WriteString("q"u8, method);
        w.WriteString("t"u8, transactionId);
        w.WriteString("v"u8, ClientVersion);
        w.WriteString("y"u8, "q"u8);
        w.WriteEnd();
    }

    private static void WriteId(ref BencodeWriter w, ReadOnlySpan<byte> key, NodeId id)
    {
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        id.WriteTo(bytes);
        w.WriteString(key, bytes);
    }

    private static void WriteWant(ref BencodeWriter w, KrpcWant want)
    {
        if (want == KrpcWant.None) return;
        w.WriteString("want"u8);
        w.WriteListStart();
        if ((want & KrpcWant.Nodes4) != 0) w.WriteString("n4"u8);
        if ((want & KrpcWant.Nodes6) != 0) w.WriteString("n6"u8);
        w.WriteEnd();
    }
}
