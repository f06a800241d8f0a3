using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap;

public sealed partial class WebTorrentTracker
{
    internal const long UdpProtocolId = 0x41727101980;
    private readonly long _udpSecret = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// Serves one BEP 15 datagram from <paramref name="source"/> (the raw socket address); writes the reply into
    /// <paramref name="response"/> and returns its length, or 0 to stay silent (not a tracker request).
    /// </summary>
    internal int HandleUdp(ReadOnlySpan<byte> request, SocketAddress source, Span<byte> response)
    {
        if (request.Length < 16) return 0;
        var action = BinaryPrimitives.ReadInt32BigEndian(request[8..]);
        var transactionId = BinaryPrimitives.ReadInt32BigEndian(request[12..]);
        var connectionId = BinaryPrimitives.ReadInt64BigEndian(request);
        if (action == 0)
        {
            if (connectionId != UdpProtocolId) return 0;
            BinaryPrimitives.WriteInt32BigEndian(response, 0);
            BinaryPrimitives.WriteInt32BigEndian(response[4..], transactionId);
            BinaryPrimitives.WriteInt64BigEndian(response[8..], UdpConnectionId(source, UdpWindow()));
            return 16;
        }
        var window = UdpWindow();
        if (connectionId != UdpConnectionId(source, window) && connectionId != UdpConnectionId(source, window - 1))
            return UdpError(response, transactionId, "invalid connection id");
        return action switch
        {
            1 => UdpAnnounce(request, source, response, transactionId),
            2 => UdpScrape(request, response, transactionId),
            _ => UdpError(response, transactionId, "invalid action"),
        };
    }

    private int UdpAnnounce(ReadOnlySpan<byte> request, SocketAddress source, Span<byte> response, int transactionId)
    {
        if (request.Length < 98)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            return UdpError(response, transactionId, "announce too short");
        }
        Interlocked.Increment(ref Counters.Announces);
        var infoHash = new Id20(request.Slice(16, 20));
        var peerId = new Id20(request.Slice(36, 20));
        var left = BinaryPrimitives.ReadInt64BigEndian(request[64..]);
        var announceEvent = BinaryPrimitives.ReadInt32BigEndian(request[80..]) switch
        {
            1 => AnnounceEvent.Completed,
            2 => AnnounceEvent.Started,
            3 => AnnounceEvent.Stopped,
            _ => AnnounceEvent.None,
        };
        var numWant = BinaryPrimitives.ReadInt32BigEndian(request[92..]);
        var port = BinaryPrimitives.ReadUInt16BigEndian(request[96..]);

        // sockaddr_in / sockaddr_in6 as the OS lays them out: port at offset 2, the address at 4 (IPv4) or 8 (IPv6).
        var raw = source.Buffer.Span;
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(raw[2..]);
        Span<byte> address = stackalloc byte[16];
        int addressLength;
        if (source.Family == AddressFamily.InterNetworkV6)
        {
            raw.Slice(8, 16).CopyTo(address);
            addressLength = NormalizeAddressBytes(address, 16);
        }
        else
        {
            raw.Slice(4, 4).CopyTo(address);
            addressLength = 4;
        }
        var v6 = addressLength == 16;
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var size = v6 ? 18 : 6;
        var want = numWant < 0 ? Options.DefaultNumWant : Math.Min(numWant, Options.MaxPeersPerAnnounce);
        want = Math.Min(want, (response.Length - 20) / size);

        var refusal = SwarmRefusal.None;
        var swarm = announceEvent == AnnounceEvent.Stopped
            ? (Swarms.TryGet(infoHash, out var existing) ? existing : null)
            : Swarms.GetOrCreate(infoHash, AddressKey.From(address[..addressLength]), out refusal);
        if (swarm is null && announceEvent != AnnounceEvent.Stopped)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            return UdpError(response, transactionId, SwarmRefusalReason(refusal));
        }

        var peers = ArrayPool<PeerEntry?>.Shared.Rent(Math.Max(want, 1));
        try
        {
            var count = 0;
            var outcome = AnnounceOutcome.Accepted;
            var counts = swarm?.AnnounceEndpoint(peerId, address[..addressLength], null, port == 0 ? sourcePort : port, announceEvent, left == 0, Now,
                peers.AsSpan(0, want), out count, out outcome) ?? default;
            if (outcome != AnnounceOutcome.Accepted)
            {
                Interlocked.Increment(ref Counters.RejectedMessages);
                return UdpError(response, transactionId, AnnounceRefusalReason(outcome));
            }
            BinaryPrimitives.WriteInt32BigEndian(response, 1);
            BinaryPrimitives.WriteInt32BigEndian(response[4..], transactionId);
            BinaryPrimitives.WriteInt32BigEndian(response[8..], (int)Options.AnnounceInterval.TotalSeconds);
            BinaryPrimitives.WriteInt32BigEndian(response[12..], counts.Incomplete);
            BinaryPrimitives.WriteInt32BigEndian(response[16..], counts.Complete);
            var offset = 20;
            for (var i = 0; i < count; i++)
            {
                var peer = peers[i]!;
                if (peer.Address!.AddressFamily != family) continue; // BEP 15: the socket's family decides the format
                peer.Address.TryWriteBytes(response[offset..], out _);
                BinaryPrimitives.WriteUInt16BigEndian(response[(offset + size - 2)..], (ushort)peer.Port);
                offset += size;
            }
            return offset;
        }
        finally
        {
            ArrayPool<PeerEntry?>.Shared.Return(peers, clearArray: true);
        }
    }

    private int UdpScrape(ReadOnlySpan<byte> request, Span<byte> response, int transactionId)
    {
        var count = Math.Min((request.Length - 16) / 20, Math.Min(Options.MaxScrapeInfoHashes, (response.Length - 8) / 12));
        Interlocked.Increment(ref Counters.Scrapes);
        BinaryPrimitives.WriteInt32BigEndian(response, 2);
        BinaryPrimitives.WriteInt32BigEndian(response[4..], transactionId);
        for (var i = 0; i < count; i++)
        {
            var counts = Swarms.TryGet(new Id20(request.Slice(16 + (20 * i), 20)), out var swarm) ? swarm.Counts : default;
            var at = response[(8 + (12 * i))..];
            BinaryPrimitives.WriteInt32BigEndian(at, counts.Complete);
            BinaryPrimitives.WriteInt32BigEndian(at[4..], (int)Math.Min(counts.Downloaded, int.MaxValue));
            BinaryPrimitives.WriteInt32BigEndian(at[8..], counts.Incomplete);
        }
        return 8 + (12 * count);
    }

    private static int UdpError(Span<byte> response, int transactionId, string message)
    {
        BinaryPrimitives.WriteInt32BigEndian(response, 3);
        BinaryPrimitives.WriteInt32BigEndian(response[4..], transactionId);
        return 8 + System.Text.Encoding.ASCII.GetBytes(message, response[8..]);
    }

    // Connection ids are a keyed hash of the source address and a 1-minute window: nothing stored per client,
    // valid for up to 2 minutes (BEP 15 asks for at least 1), unguessable to spoofed sources.
    private long UdpWindow() => Options.TimeProvider.GetTimestamp() / (Options.TimeProvider.TimestampFrequency * 60);

    private long UdpConnectionId(SocketAddress source, long window)
    {
        var bytes = source.Buffer.Span[..source.Size];
        var low = new HashCode();
        var high = new HashCode();
        low.Add(_udpSecret);
        high.Add(~_udpSecret);
        low.Add(window);
        high.Add(window * 31);
        low.AddBytes(bytes);
        high.AddBytes(bytes);
        return ((long)high.ToHashCode() << 32) | (uint)low.ToHashCode();
    }
}

public sealed partial class WebTorrentTracker
{
    /// <summary>The UDP tracker's bound endpoint once the host started, or null when no UDP tracker runs.</summary>
    public IPEndPoint? UdpEndPoint { get; internal set; }

    /// <summary>The DHT bootstrap node while it runs (<see cref="WebTorrentTrackerOptions.DhtPort"/> set), else null.</summary>
    public WebTorrent.Dht.DhtNode? DhtNode { get; internal set; }

    /// <summary>The DHT bootstrap node's bound UDP endpoint, or null when none runs.</summary>
    public IPEndPoint? DhtEndPoint => DhtNode?.LocalEndPoint as IPEndPoint;
}
