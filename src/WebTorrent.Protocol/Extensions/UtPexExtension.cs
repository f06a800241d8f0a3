using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Bencode;

namespace WebTorrent.Protocol;

/// <summary>BEP 11 peer flags carried in <c>added.f</c>.</summary>
[Flags]
public enum PexFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Prefers encryption.</summary>
    PrefersEncryption = 0x01,
    /// <summary>Is a seed (upload only).</summary>
    Seed = 0x02,
    /// <summary>Supports uTP.</summary>
    SupportsUtp = 0x04,
    /// <summary>Supports ut_holepunch.</summary>
    SupportsHolePunch = 0x08,
    /// <summary>Reachable (outgoing connection succeeded).</summary>
    Reachable = 0x10,
}

/// <summary>A peer learned or announced by PEX.</summary>
/// <param name="EndPoint">Its address and port.</param>
/// <param name="Flags">Its flags.</param>
public readonly record struct PexPeer(IPEndPoint EndPoint, PexFlags Flags);

/// <summary>One ut_pex message: peers connected and disconnected since the previous one.</summary>
/// <param name="Added">Peers added (IPv4 and IPv6).</param>
/// <param name="Dropped">Peers dropped.</param>
public sealed record PexMessage(IReadOnlyList<PexPeer> Added, IReadOnlyList<IPEndPoint> Dropped);

/// <summary>
/// BEP 11 ut_pex: exchanges the peers each side is connected to. Sending is rate limited as BEP 11 asks (one message
/// a minute, at most 50 added and 50 dropped); received messages are bounded by <see cref="MaxPeersPerMessage"/>.
/// </summary>
public sealed class UtPexExtension : PeerExtension
{
    /// <summary>The extension's name in the <c>m</c> dictionary.</summary>
    public const string ExtensionName = "ut_pex";

    /// <summary>BEP 11: at most 50 added and 50 dropped peers per message.</summary>
    public const int MaxPeersPerSentMessage = 50;

    private readonly TimeProvider _time;
    private long? _lastSent;

    /// <summary>Creates the extension; <paramref name="timeProvider"/> times the rate limit.</summary>
    public UtPexExtension(TimeProvider? timeProvider = null) : base(ExtensionName) => _time = timeProvider ?? TimeProvider.System;

    /// <summary>Shortest interval between two messages we send (default 60 s, BEP 11).</summary>
    public TimeSpan MinimumInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most peers read from one received message, per list (default 200); the rest are ignored.</summary>
    public int MaxPeersPerMessage { get; init; } = 200;

    /// <summary>Raised on the wire's read loop for each ut_pex message received.</summary>
    public event EventHandler<PexMessage>? PeersReceived;

    /// <summary>
    /// Sends added and dropped peers. Returns false, sending nothing, when the previous message was less than
    /// <see cref="MinimumInterval"/> ago or the peer does not support ut_pex.
    /// </summary>
    /// <exception cref="ArgumentException">More than 50 added or dropped peers.</exception>
    public async ValueTask<bool> SendAsync(IReadOnlyCollection<PexPeer> added, IReadOnlyCollection<IPEndPoint> dropped, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(dropped);
        if (added.Count > MaxPeersPerSentMessage || dropped.Count > MaxPeersPerSentMessage)
            throw new ArgumentException($"BEP 11 allows at most {MaxPeersPerSentMessage} added and {MaxPeersPerSentMessage} dropped peers per message.");
        if (!IsSupportedByPeer) return false;
        var now = _time.GetTimestamp();
        if (_lastSent is { } last && _time.GetElapsedTime(last, now) < MinimumInterval) return false;
        _lastSent = now;
        await SendAsync(Encode(added, dropped), cancellationToken);
        return true;
    }

    /// <summary>Encodes a ut_pex message payload.</summary>
    public static byte[] Encode(IReadOnlyCollection<PexPeer> added, IReadOnlyCollection<IPEndPoint> dropped)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(dropped);
        var added4 = added.Where(p => p.EndPoint.AddressFamily == AddressFamily.InterNetwork).ToList();
        var added6 = added.Where(p => p.EndPoint.AddressFamily == AddressFamily.InterNetworkV6).ToList();
        var message = new BencodeDictionary
        {
            ["added"] = Compact(added4.Select(p => p.EndPoint), 4),
            ["added.f"] = added4.Select(p => (byte)p.Flags).ToArray(),
            ["added6"] = Compact(added6.Select(p => p.EndPoint), 16),
            ["added6.f"] = added6.Select(p => (byte)p.Flags).ToArray(),
            ["dropped"] = Compact(dropped.Where(e => e.AddressFamily == AddressFamily.InterNetwork), 4),
            ["dropped6"] = Compact(dropped.Where(e => e.AddressFamily == AddressFamily.InterNetworkV6), 16),
        };
        return message.ToArray();
    }

    /// <summary>Decodes a ut_pex message payload, reading at most <paramref name="maxPeers"/> peers per list.</summary>
    /// <exception cref="ProtocolViolationException">The payload is not a ut_pex dictionary.</exception>
    public static PexMessage Decode(ReadOnlySequence<byte> payload, int maxPeers = 200)
    {
        BencodeDictionary dictionary;
        try
        {
            dictionary = BencodeSerializer.DecodeDictionary(payload.ToArray(), BencodeReaderOptions.Lenient with { MaxDepth = 4 });
        }
        catch (BencodeException ex)
        {
            throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "Malformed ut_pex message: " + ex.Message, ex);
        }
        var added = new List<PexPeer>();
        ReadPeers(dictionary.GetBytes("added"), dictionary.GetBytes("added.f"), 4, maxPeers, added);
        ReadPeers(dictionary.GetBytes("added6"), dictionary.GetBytes("added6.f"), 16, maxPeers, added);
        var dropped = new List<IPEndPoint>();
        ReadEndPoints(dictionary.GetBytes("dropped"), 4, maxPeers, dropped);
        ReadEndPoints(dictionary.GetBytes("dropped6"), 16, maxPeers, dropped);
        return new PexMessage(added, dropped);
    }

    /// <inheritdoc/>
    protected override void OnMessage(ReadOnlySequence<byte> payload)
    {
        var message = Decode(payload, MaxPeersPerMessage);
        PeersReceived?.Invoke(this, message);
    }

    private static void ReadPeers(ReadOnlyMemory<byte>? compact, ReadOnlyMemory<byte>? flags, int addressLength, int maxPeers, List<PexPeer> into)
    {
        if (compact is not { } bytes) return;
        var stride = addressLength + 2;
        if (bytes.Length % stride != 0)
            throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, $"ut_pex peer list of {bytes.Length} bytes is not a multiple of {stride}.");
        var count = Math.Min(bytes.Length / stride, maxPeers);
        var f = flags ?? ReadOnlyMemory<byte>.Empty;
        for (var i = 0; i < count; i++)
        {
            var entry = bytes.Span.Slice(i * stride, stride);
            var flag = i < f.Length ? (PexFlags)f.Span[i] : PexFlags.None;
            into.Add(new PexPeer(new IPEndPoint(new IPAddress(entry[..addressLength]), BinaryPrimitives.ReadUInt16BigEndian(entry[addressLength..])), flag));
        }
    }

    private static void ReadEndPoints(ReadOnlyMemory<byte>? compact, int addressLength, int maxPeers, List<IPEndPoint> into)
    {
        var peers = new List<PexPeer>();
        ReadPeers(compact, null, addressLength, maxPeers, peers);
        into.AddRange(peers.Select(p => p.EndPoint));
    }

    private static byte[] Compact(IEnumerable<IPEndPoint> endPoints, int addressLength)
    {
        var list = endPoints.ToList();
        var result = new byte[list.Count * (addressLength + 2)];
        for (var i = 0; i < list.Count; i++)
        {
            var span = result.AsSpan(i * (addressLength + 2));
            list[i].Address.TryWriteBytes(span, out _);
            BinaryPrimitives.WriteUInt16BigEndian(span[addressLength..], (ushort)list[i].Port);
        }
        return result;
    }
}
