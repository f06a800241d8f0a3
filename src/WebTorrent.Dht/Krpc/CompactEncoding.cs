using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace WebTorrent.Dht.Krpc;

/// <summary>BEP 5 / BEP 32 compact encodings of peers (address + port) and nodes (id + address + port).</summary>
public static class CompactEncoding
{
    /// <summary>Compact IPv4 peer: 4-byte address, 2-byte port.</summary>
    public const int PeerV4Size = 6;

    /// <summary>Compact IPv6 peer: 16-byte address, 2-byte port.</summary>
    public const int PeerV6Size = 18;

    /// <summary>Compact IPv4 node: 20-byte id and a compact peer.</summary>
    public const int NodeV4Size = NodeId.Size + PeerV4Size;

    /// <summary>Compact IPv6 node: 20-byte id and a compact IPv6 peer.</summary>
    public const int NodeV6Size = NodeId.Size + PeerV6Size;

    /// <summary>The compact peer size for <paramref name="family"/>.</summary>
    public static int PeerSize(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? PeerV6Size : PeerV4Size;

    /// <summary>Reads a compact peer (6 or 18 bytes); false for any other length or port 0.</summary>
    public static bool TryReadPeer(ReadOnlySpan<byte> compact, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (compact.Length is not (PeerV4Size or PeerV6Size)) return false;
        var port = BinaryPrimitives.ReadUInt16BigEndian(compact[^2..]);
        if (port == 0) return false;
        endPoint = new IPEndPoint(new IPAddress(compact[..^2]), port);
        return true;
    }

    /// <summary>Writes <paramref name="endPoint"/> as a compact peer; returns the bytes written (6 or 18), or 0 if it does not fit.</summary>
    public static int WritePeer(IPEndPoint endPoint, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var size = PeerSize(endPoint.AddressFamily);
        if (destination.Length < size || !endPoint.Address.TryWriteBytes(destination, out var written) || written != size - 2) return 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[written..], (ushort)endPoint.Port);
        return size;
    }

    /// <summary>Writes a compact node (26 or 38 bytes); returns the bytes written, or 0 when the endpoint is not an IP endpoint or does not fit.</summary>
    public static int WriteNode(NodeId id, EndPoint endPoint, Span<byte> destination)
    {
        if (endPoint is not IPEndPoint ip || destination.Length < NodeId.Size) return 0;
        var written = WritePeer(ip, destination[NodeId.Size..]);
        if (written == 0) return 0;
        id.WriteTo(destination);
        return NodeId.Size + written;
    }

    /// <summary>Enumerates compact nodes of <paramref name="nodeSize"/> bytes (26 or 38), skipping entries with port 0.</summary>
    public static List<DhtNodeInfo> ReadNodes(ReadOnlySpan<byte> compactNodes, int nodeSize, List<DhtNodeInfo>? into = null)
    {
        into ??= new List<DhtNodeInfo>(compactNodes.Length / nodeSize);
        for (var offset = 0; offset + nodeSize <= compactNodes.Length; offset += nodeSize)
        {
            var entry = compactNodes.Slice(offset, nodeSize);
            if (TryReadPeer(entry[NodeId.Size..], out var endPoint))
                into.Add(new DhtNodeInfo(new NodeId(entry[..NodeId.Size]), endPoint!));
        }
        return into;
    }
}
