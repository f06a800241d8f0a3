using System.Buffers;
using Bencode;
using WebTorrent.Dht.Krpc;

namespace WebTorrent.Dht;

/// <summary>
/// What a node needs to restart without bootstrap nodes: its id and the nodes of its routing table. Saved as
/// bencode (<c>id</c>, <c>nodes</c>, <c>nodes6</c>, in compact form), as libtorrent and bittorrent-dht do.
/// </summary>
/// <param name="Id">The node id.</param>
/// <param name="Nodes">Known nodes (IP endpoints only; others are not persisted).</param>
public sealed record DhtNodeState(NodeId Id, IReadOnlyList<DhtNodeInfo> Nodes)
{
    /// <summary>Encodes the state.</summary>
    public byte[] ToBencode()
    {
        var v4 = new ArrayBufferWriter<byte>();
        var v6 = new ArrayBufferWriter<byte>();
        foreach (var node in Nodes)
        {
            var target = node.EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? v6 : v4;
            var written = CompactEncoding.WriteNode(node.Id, node.EndPoint, target.GetSpan(CompactEncoding.NodeV6Size));
            target.Advance(written);
        }
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output);
        writer.WriteDictionaryStart();
        writer.WriteString("id"u8, Id.ToArray());
        writer.WriteString("nodes"u8, v4.WrittenSpan);
        writer.WriteString("nodes6"u8, v6.WrittenSpan);
        writer.WriteEnd();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a state saved by <see cref="ToBencode"/>.</summary>
    /// <exception cref="BencodeException">Not a valid saved state.</exception>
    public static DhtNodeState Parse(ReadOnlyMemory<byte> bencoded)
    {
        var dictionary = BencodeSerializer.DecodeDictionary(bencoded);
        var id = dictionary.GetBytes("id") is { Length: NodeId.Size } idBytes
            ? new NodeId(idBytes.Span)
            : throw new BencodeException("The saved state has no 20-byte id", 0);
        var nodes = new List<DhtNodeInfo>();
        if (dictionary.GetBytes("nodes") is { } v4) CompactEncoding.ReadNodes(v4.Span, CompactEncoding.NodeV4Size, nodes);
        if (dictionary.GetBytes("nodes6") is { } v6) CompactEncoding.ReadNodes(v6.Span, CompactEncoding.NodeV6Size, nodes);
        return new DhtNodeState(id, nodes);
    }
}
