using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Routing;
using WebTorrent.Dht.Security;
using WebTorrent.Dht.Storage;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Dht;

/// <summary>
/// A BitTorrent mainline DHT node (BEP 5, with BEP 32 IPv6, BEP 33 scrape, BEP 42 secure ids, BEP 43 read-only
/// and BEP 44 storage), the .NET counterpart of npm <c>bittorrent-dht</c>. It reaches other nodes through an
/// <see cref="IDhtTransport"/>: UDP (<see cref="UdpDhtTransport"/>), an in-memory network, or anything else.
/// </summary>
/// <example>
/// <code>
/// await using var dht = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Any, 6881)),
///     new DhtNodeOptions { BootstrapNodes = DhtNodeOptions.PublicBootstrapNodes });
/// await dht.StartAsync(ct);
/// var found = await dht.GetPeersAsync(infoHash, ct);
/// await dht.AnnounceAsync(infoHash, port: 6881, ct);
/// </code>
/// </example>
public sealed partial class DhtNode : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly IDhtTransport _transport;
    private readonly DhtNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly RoutingTable _table;
    private readonly TokenManager _tokens;
    private readonly PeerStore _peers;
    private readonly ItemStore _items;
    private readonly RateLimiter _rateLimiter;
    private readonly Dictionary<ushort, PendingQuery> _pending = [];
    private readonly ArrayBufferWriter<byte> _scratch = new(1500);
    private readonly ArrayBufferWriter<byte> _responseBuffer = new(1500);
    private readonly HashSet<NodeId> _pinging = [];
    private readonly ILogger? _logger;
    private RoutingNode?[]? _closestBuffer;
    // Bootstrap nodes with names resolved (by the last bootstrap); before that, those given as addresses.
    private IReadOnlyList<EndPoint> _bootstrapAddresses;
    private ITimer? _maintenanceTimer;
    private bool _started;
    private bool _disposed;
    private long _queriesReceived;
    private long _queriesSent;
    private long _responsesReceived;
    private long _timeouts;
    private long _dropped;
    private long _invalidSecureIds;

    /// <summary>Creates a node over <paramref name="transport"/>; it owns the transport and disposes it.</summary>
    public DhtNode(IDhtTransport transport, DhtNodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new DhtNodeOptions();
        _options.Validate();
        _transport = transport;
        _time = _options.TimeProvider;
        _random = _options.Random ?? Random.Shared;
        _logger = _options.LoggerFactory?.CreateLogger<DhtNode>();
        Id = _options.NodeId
            ?? _options.State?.Id
            ?? (_options.ExternalAddress is { } external ? SecureNodeId.Create(external, _random) : NodeId.CreateRandom(_random));
        _bootstrapAddresses = _options.BootstrapNodes.Where(e => e is not DnsEndPoint).ToList();
        _table = new RoutingTable(Id, _options.BucketSize, _time, _options.NodeGoodWindow, _options.MaxNodeFailures);
        _tokens = new TokenManager(_time, _options.TokenRotation);
        _peers = new PeerStore(_time, _options.PeerLifetime, _options.MaxPeersPerInfoHash, _options.MaxPeers, _options.MaxPeersPerAddressPerInfoHash);
        _items = new ItemStore(_time, _options.ItemLifetime, _options.MaxItems);
        _rateLimiter = new RateLimiter(_time, _options.MaxQueriesPerSecondPerAddress, _options.QueryBurstPerAddress, _options.MaxRateLimitedAddresses);
    }

    /// <summary>Our node id.</summary>
    public NodeId Id { get; }

    /// <summary>Where the transport receives.</summary>
    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Our address as other nodes report it (BEP 42 <c>ip</c>), once one has.</summary>
    public IPEndPoint? ExternalEndPoint { get; private set; }

    /// <summary>Raised when a node joins the routing table (outside the node's lock, on the receiving thread).</summary>
    public event EventHandler<DhtNodeInfo>? NodeAdded;

    /// <summary>Raised for each new peer a get_peers lookup finds.</summary>
    public event EventHandler<DhtPeerEventArgs>? PeerDiscovered;

    /// <summary>Raised when another node announces a peer to us.</summary>
    public event EventHandler<DhtAnnounceEventArgs>? AnnounceReceived;

    /// <summary>Nodes in the routing table.</summary>
    public int NodeCount
    {
        get
        {
            lock (_gate) return _table.Count;
        }
    }

    /// <summary>A snapshot of the routing table's nodes.</summary>
    public IReadOnlyList<DhtNodeInfo> GetNodes()
    {
        lock (_gate) return _table.Nodes.Select(n => n.ToInfo()).ToList();
    }

    /// <summary>Counters.</summary>
    public DhtNodeStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new DhtNodeStatistics(_table.Count, _table.BucketCount, _peers.Count, _peers.InfoHashCount, _items.Count,
                    _queriesReceived, _queriesSent, _responsesReceived, _timeouts, _dropped, _invalidSecureIds);
            }
        }
    }

    /// <summary>Peers announced to this node for <paramref name="infoHash"/> (what it would answer a get_peers with).</summary>
    public IReadOnlyList<IPEndPoint> GetStoredPeers(NodeId infoHash)
    {
        lock (_gate) return _peers.Get(infoHash);
    }

    /// <summary>
    /// Starts receiving and joins the network: contacts the saved nodes (<see cref="DhtNodeOptions.State"/>) and
    /// the bootstrap nodes, then looks up our own id to fill the routing table. Completes when that lookup ends;
    /// with no node to contact the node just listens.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started) throw new InvalidOperationException("The node is already started.");
            _started = true;
        }
        _transport.Start(OnDatagram);
        lock (_gate)
        {
            _maintenanceTimer = _time.CreateTimer(static state => ((DhtNode)state!).Maintain(), this, _options.MaintenanceInterval, _options.MaintenanceInterval);
        }
        await BootstrapAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Contacts saved and bootstrap nodes and looks up our own id. Called by <see cref="StartAsync"/>; call again to rejoin.</summary>
    public async Task<int> BootstrapAsync(CancellationToken cancellationToken = default)
    {
        var seeds = new List<DhtNodeInfo?>();
        if (_options.State is { } state) seeds.AddRange(state.Nodes);
        var bootstrap = await ResolveAsync(_options.BootstrapNodes, cancellationToken).ConfigureAwait(false);
        _bootstrapAddresses = bootstrap;
        foreach (var endPoint in bootstrap) seeds.Add(new DhtNodeInfo(default, endPoint));
        if (seeds.Count == 0 && NodeCount == 0) return 0;
        var self = await RunLookupAsync(Id, LookupKind.FindNode, seeds, stopAfterPeers: 0, cancellationToken).ConfigureAwait(false);
        // The self-lookup fills only the buckets near our id. How deep its closest answers share our prefix tells
        // how deep the network is: one lookup inside each bucket range above that depth fills the rest.
        var depth = ClosestNodes(self).Select(n => Id.CommonPrefixLength(n.Id)).DefaultIfEmpty(0).Max();
        var targets = new List<NodeId>();
        lock (_gate)
        {
            for (var bit = 0; bit < Math.Min(depth, 40); bit++) targets.Add(Id.WithRandomSuffix(bit, _random, flip: true));
        }
        var refreshes = targets.ConvertAll(target => RunLookupAsync(target, LookupKind.FindNode, null, 0, cancellationToken));
        await Task.WhenAll(refreshes).ConfigureAwait(false);
        return NodeCount;
    }

    /// <summary>Iteratively finds the k nodes closest to <paramref name="target"/>.</summary>
    public async Task<IReadOnlyList<DhtNodeInfo>> FindNodeAsync(NodeId target, CancellationToken cancellationToken = default)
    {
        var lookup = await RunLookupAsync(target, LookupKind.FindNode, null, 0, cancellationToken).ConfigureAwait(false);
        return ClosestNodes(lookup);
    }

    /// <summary>
    /// Iteratively looks up peers for <paramref name="infoHash"/> (get_peers). Runs until the k closest nodes have
    /// answered, or until <paramref name="stopAfterPeers"/> peers are found when it is positive (early termination).
    /// </summary>
    public async Task<DhtLookupResult> GetPeersAsync(NodeId infoHash, int stopAfterPeers = 0, CancellationToken cancellationToken = default)
    {
        var lookup = await RunLookupAsync(infoHash, LookupKind.GetPeers, null, stopAfterPeers, cancellationToken).ConfigureAwait(false);
        return ToResult(lookup, 0);
    }

    /// <summary>
    /// Announces that we have <paramref name="infoHash"/> on <paramref name="port"/>: a get_peers lookup, then
    /// announce_peer to the k closest nodes with their tokens. Port 0 asks them to use our source port (implied_port).
    /// </summary>
    public async Task<DhtLookupResult> AnnounceAsync(NodeId infoHash, int port, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        var lookup = await RunLookupAsync(infoHash, LookupKind.GetPeers, null, 0, cancellationToken).ConfigureAwait(false);
        var id = Id;
        var acknowledged = await StoreAtClosestAsync(lookup, token => (o, t) =>
            KrpcWriter.WriteAnnouncePeer(o, t, id, infoHash, port == 0 ? (_transport.LocalEndPoint as IPEndPoint)?.Port ?? 0 : port, token, impliedPort: port == 0),
            cancellationToken).ConfigureAwait(false);
        return ToResult(lookup, acknowledged);
    }

    /// <summary>BEP 33: estimates seeds and peers of <paramref name="infoHash"/> from the bloom filters of the closest nodes.</summary>
    public async Task<DhtScrapeResult> ScrapeAsync(NodeId infoHash, CancellationToken cancellationToken = default)
    {
        var lookup = await RunLookupAsync(infoHash, LookupKind.Scrape, null, 0, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return new DhtScrapeResult(ScrapeBloomFilter.Estimate(lookup.BloomSeeds), ScrapeBloomFilter.Estimate(lookup.BloomPeers), lookup.BloomResponses);
        }
    }

    /// <summary>BEP 44: stores an immutable bencoded value at the closest nodes; returns its target (SHA-1 of the value).</summary>
    public async Task<(NodeId Target, int StoredAt)> PutImmutableAsync(ReadOnlyMemory<byte> bencodedValue, CancellationToken cancellationToken = default)
    {
        Bep44.CheckValue(bencodedValue.Span, default);
        var target = Bep44.ImmutableTarget(bencodedValue.Span);
        var lookup = await RunLookupAsync(target, LookupKind.Get, null, 0, cancellationToken).ConfigureAwait(false);
        var id = Id;
        var value = bencodedValue.ToArray();
        var stored = await StoreAtClosestAsync(lookup, token => (o, t) => KrpcWriter.WritePut(o, t, id, token, value), cancellationToken).ConfigureAwait(false);
        return (target, stored);
    }

    /// <summary>BEP 44: finds an immutable value by target; null when no node has it. The value is checked against the target.</summary>
    public async Task<byte[]?> GetImmutableAsync(NodeId target, CancellationToken cancellationToken = default)
    {
        var lookup = await RunLookupAsync(target, LookupKind.Get, null, 0, cancellationToken).ConfigureAwait(false);
        lock (_gate) return lookup.ImmutableValue;
    }

    /// <summary>BEP 44: stores a signed mutable item at the closest nodes; returns how many accepted it.</summary>
    public async Task<int> PutMutableAsync(DhtMutableItem item, long? compareAndSwap = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        Bep44.CheckValue(item.Value, item.Salt);
        if (!item.Verify()) throw new ArgumentException("The item's signature does not verify.", nameof(item));
        var lookup = await RunLookupAsync(item.Target, LookupKind.Get, null, 0, cancellationToken).ConfigureAwait(false);
        var id = Id;
        return await StoreAtClosestAsync(lookup, token => (o, t) =>
            KrpcWriter.WritePut(o, t, id, token, item.Value, item.PublicKey, item.Signature, item.Sequence, item.Salt, compareAndSwap),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>BEP 44: finds the newest verified mutable item for <paramref name="publicKey"/> and <paramref name="salt"/>; null when none.</summary>
    public async Task<DhtMutableItem?> GetMutableAsync(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> salt = default, CancellationToken cancellationToken = default)
    {
        var target = Bep44.MutableTarget(publicKey.Span, salt.Span);
        var lookup = await RunLookupAsync(target, LookupKind.Get, null, 0, cancellationToken, publicKey.ToArray(), salt.ToArray()).ConfigureAwait(false);
        lock (_gate) return lookup.MutableItem;
    }

    /// <summary>The routing table's nodes and our id, to restart later without bootstrap nodes (<see cref="DhtNodeOptions.State"/>).</summary>
    public DhtNodeState SaveState()
    {
        lock (_gate)
        {
            var nodes = _table.Nodes.Where(n => n.FailedQueries == 0).Select(n => n.ToInfo()).ToList();
            return new DhtNodeState(Id, nodes);
        }
    }

    /// <summary>Stops timers, fails pending queries and disposes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PendingQuery> pending;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _maintenanceTimer?.Dispose();
            pending = [.. _pending.Values];
            _pending.Clear();
            foreach (var query in pending) query.Timer?.Dispose();
        }
        foreach (var query in pending) InvokeCallback(query, null);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, EndPoint source)
    {
        try
        {
            HandleDatagram(datagram, source);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let one datagram take the node down; count it and carry on.
            lock (_gate) _dropped++;
            LogWarning(e, "Datagram handling failed");
        }
    }

    private void HandleDatagram(ReadOnlySpan<byte> datagram, EndPoint source)
    {
        if (!KrpcParser.TryParse(datagram, out var message, out var error))
        {
            lock (_gate)
            {
                _dropped++;
                if (error == KrpcParseError.MissingField && message.Type == KrpcMessageType.Query && !message.TransactionId.IsEmpty
                    && message.TransactionId.Length <= 32 && !_options.ReadOnly && _rateLimiter.TryAcquire(source))
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "invalid arguments"u8, source);
            }
            return;
        }
        if (message.Type == KrpcMessageType.Query)
        {
            HandleQuery(ref message, source);
        }
        else
        {
            HandleReply(ref message, source);
        }
    }

    private void HandleReply(ref KrpcMessage message, EndPoint source)
    {
        PendingQuery? pending;
        KrpcReply reply;
        DhtNodeInfo? added = null;
        lock (_gate)
        {
            if (message.TransactionId.Length != 2
                || !_pending.TryGetValue(BinaryPrimitives.ReadUInt16BigEndian(message.TransactionId), out pending)
                || !SameEndPoint(pending.Destination, source))
            {
                _dropped++;
                return;
            }
            reply = KrpcReply.From(message, source);
            if (!reply.IsError && pending.ExpectedId is { } expected && expected != reply.Id && expected != default)
            {
                // A different node answers at that address now: forget the old one, keep the new.
                _table.Remove(expected);
            }
            _pending.Remove(pending.TransactionId);
            pending.Timer?.Dispose();
            _responsesReceived++;
            if (message.ExternalAddress.Length > 0 && CompactEncoding.TryReadPeer(message.ExternalAddress, out var external))
                ExternalEndPoint = external;
            if (!reply.IsError && !message.ReadOnlyNode && reply.Id != Id && AcceptId(reply.Id, source))
            {
                var result = _table.TryAdd(reply.Id, source, responded: true, out var ping);
                if (result == RoutingAddResult.Added) added = new DhtNodeInfo(reply.Id, source);
                if (ping is not null) PingQuestionable(ping);
            }
        }
        InvokeCallback(pending, reply);
        if (added is not null) NodeAdded?.Invoke(this, added);
    }

    private void HandleQuery(ref KrpcMessage message, EndPoint source)
    {
        DhtNodeInfo? added = null;
        DhtAnnounceEventArgs? announced = null;
        lock (_gate)
        {
            _queriesReceived++;
            if (_options.ReadOnly || _disposed || !_rateLimiter.TryAcquire(source))
            {
                _dropped++;
                return;
            }
            var senderId = new NodeId(message.Id);
            if (!message.ReadOnlyNode && senderId != Id && AcceptId(senderId, source))
            {
                if (_table.TryAdd(senderId, source, responded: false, out var ping) == RoutingAddResult.Added) added = new DhtNodeInfo(senderId, source);
                if (ping is not null) PingQuestionable(ping);
            }
            AnswerQuery(ref message, source, ref announced);
        }
        if (added is not null) NodeAdded?.Invoke(this, added);
        if (announced is not null) AnnounceReceived?.Invoke(this, announced);
    }

    private void AnswerQuery(ref KrpcMessage message, EndPoint source, ref DhtAnnounceEventArgs? announced)
    {
        scoped var fields = default(KrpcResponseFields);
        Span<byte> nodes = stackalloc byte[CompactEncoding.NodeV4Size * 8 * 2];
        Span<byte> nodes6 = stackalloc byte[CompactEncoding.NodeV6Size * 8 * 2];
        Span<byte> token = stackalloc byte[TokenManager.TokenLength];
        Span<byte> peers = stackalloc byte[CompactEncoding.PeerV6Size * 100];
        Span<byte> seeds = stackalloc byte[ScrapeBloomFilter.Size];
        Span<byte> downloaders = stackalloc byte[ScrapeBloomFilter.Size];
        var want = message.Want != KrpcWant.None ? message.Want
            : source.AddressFamily == AddressFamily.InterNetworkV6 ? KrpcWant.Nodes6 : KrpcWant.Nodes4;
        switch (message.Query)
        {
            case KrpcQueryType.Ping:
                break;
            case KrpcQueryType.FindNode:
                if (!NodeId.TryRead(message.Target, out var target))
                {
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "target must be 20 bytes"u8, source);
                    return;
                }
                WriteClosest(target, want, nodes, nodes6, ref fields);
                break;
            case KrpcQueryType.GetPeers:
                if (!NodeId.TryRead(message.InfoHash, out var infoHash))
                {
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "info_hash must be 20 bytes"u8, source);
                    return;
                }
                WriteClosest(infoHash, want, nodes, nodes6, ref fields);
                _tokens.Generate(source, token);
                fields.Token = token;
                var family = source.AddressFamily == AddressFamily.InterNetworkV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
                var written = _peers.WriteCompact(infoHash, family, message.NoSeed, peers, _options.MaxPeersPerResponse);
                fields.Peers = peers[..written];
                fields.PeerSize = CompactEncoding.PeerSize(family);
                if (message.Scrape && _peers.FillBloomFilters(infoHash, seeds, downloaders))
                {
                    fields.BloomSeeds = seeds;
                    fields.BloomPeers = downloaders;
                }
                break;
            case KrpcQueryType.AnnouncePeer:
                if (!NodeId.TryRead(message.InfoHash, out var announcedHash) || (!message.HasPort && !message.ImpliedPort)
                    || message.Port is < 0 or > ushort.MaxValue)
                {
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "invalid announce_peer arguments"u8, source);
                    return;
                }
                if (!_tokens.Validate(source, message.Token))
                {
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "bad token"u8, source);
                    return;
                }
                if (source is IPEndPoint sourceIp)
                {
                    var port = message.ImpliedPort || message.Port == 0 ? sourceIp.Port : (int)message.Port;
                    var peer = new IPEndPoint(sourceIp.Address, port);
                    _peers.Add(announcedHash, peer, message.Seed);
                    announced = new DhtAnnounceEventArgs(announcedHash, peer);
                }
                break;
            case KrpcQueryType.Get:
                if (!NodeId.TryRead(message.Target, out var itemTarget))
                {
                    SendError(message.TransactionId, KrpcErrorCode.Protocol, "target must be 20 bytes"u8, source);
                    return;
                }
                WriteClosest(itemTarget, want, nodes, nodes6, ref fields);
                _tokens.Generate(source, token);
                fields.Token = token;
                if (_items.Get(itemTarget) is { } item)
                {
                    var mutable = item.PublicKey is not null;
                    if (mutable)
                    {
                        fields.Sequence = item.Sequence;
                        fields.HasSequence = true;
                    }
                    // A mutable item no newer than the querier's copy is not resent (BEP 44 seq argument).
                    if (!(mutable && message.HasSequence && item.Sequence <= message.Sequence))
                    {
                        fields.Value = item.Value;
                        if (mutable)
                        {
                            fields.PublicKey = item.PublicKey;
                            fields.Signature = item.Signature;
                        }
                    }
                }
                break;
            case KrpcQueryType.Put:
                if (!HandlePut(ref message, source)) return;
                break;
            default:
                SendError(message.TransactionId, KrpcErrorCode.MethodUnknown, "method unknown"u8, source);
                return;
        }
        SendResponse(message.TransactionId, fields, source);
    }

    private bool HandlePut(ref KrpcMessage message, EndPoint source)
    {
        var t = message.TransactionId;
        if (message.Value.IsEmpty)
        {
            SendError(t, KrpcErrorCode.Protocol, "missing v"u8, source);
            return false;
        }
        if (message.Value.Length > Bep44.MaxValueSize)
        {
            SendError(t, KrpcErrorCode.MessageTooBig, "message (v field) too big"u8, source);
            return false;
        }
        if (!_tokens.Validate(source, message.Token))
        {
            SendError(t, KrpcErrorCode.Protocol, "bad token"u8, source);
            return false;
        }
        if (message.PublicKey.IsEmpty)
        {
            _items.Put(Bep44.ImmutableTarget(message.Value), new StoredItem(message.Value.ToArray(), null, null, 0, null, 0));
            return true;
        }
        if (message.Salt.Length > Bep44.MaxSaltSize)
        {
            SendError(t, KrpcErrorCode.SaltTooBig, "salt (salt field) too big"u8, source);
            return false;
        }
        if (!message.HasSequence || !Bep44.Verify(message.PublicKey, message.Salt, message.Sequence, message.Value, message.Signature))
        {
            SendError(t, KrpcErrorCode.InvalidSignature, "invalid signature"u8, source);
            return false;
        }
        var target = Bep44.MutableTarget(message.PublicKey, message.Salt);
        if (_items.Get(target) is { } existing)
        {
            if (message.HasCompareAndSwap && existing.Sequence != message.CompareAndSwap)
            {
                SendError(t, KrpcErrorCode.CasMismatch, "CAS mismatched, re-read value and try again"u8, source);
                return false;
            }
            if (existing.Sequence > message.Sequence)
            {
                SendError(t, KrpcErrorCode.SequenceTooOld, "sequence number less than current"u8, source);
                return false;
            }
        }
        _items.Put(target, new StoredItem(message.Value.ToArray(), message.PublicKey.ToArray(), message.Salt.ToArray(), message.Sequence, message.Signature.ToArray(), 0));
        return true;
    }

    private void WriteClosest(NodeId target, KrpcWant want, Span<byte> nodes, Span<byte> nodes6, ref KrpcResponseFields fields)
    {
        _closestBuffer ??= new RoutingNode?[_options.BucketSize * 2];
        Span<RoutingNode?> closest = _closestBuffer;
        var found = _table.FindClosest(target, closest);
        int v4 = 0, v6 = 0, count4 = 0, count6 = 0;
        for (var i = 0; i < found; i++)
        {
            var node = closest[i]!;
            if (node.EndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                if ((want & KrpcWant.Nodes6) != 0 && count6 < _options.BucketSize && v6 + CompactEncoding.NodeV6Size <= nodes6.Length)
                {
                    var n = CompactEncoding.WriteNode(node.Id, node.EndPoint, nodes6[v6..]);
                    v6 += n;
                    if (n > 0) count6++;
                }
            }
            else if ((want & KrpcWant.Nodes4) != 0 && count4 < _options.BucketSize && v4 + CompactEncoding.NodeV4Size <= nodes.Length)
            {
                var n = CompactEncoding.WriteNode(node.Id, node.EndPoint, nodes[v4..]);
                v4 += n;
                if (n > 0) count4++;
            }
        }
        fields.Nodes = nodes[..v4];
        fields.Nodes6 = nodes6[..v6];
    }

    private void SendResponse(ReadOnlySpan<byte> transactionId, scoped in KrpcResponseFields fields, EndPoint destination)
    {
        _responseBuffer.ResetWrittenCount();
        Span<byte> address = stackalloc byte[CompactEncoding.PeerV6Size];
        var addressLength = destination is IPEndPoint ip ? CompactEncoding.WritePeer(ip, address) : 0;
        KrpcWriter.WriteResponse(_responseBuffer, transactionId, Id, fields, address[..addressLength]);
        TransmitPooled(_responseBuffer.WrittenSpan, destination);
    }

    private void SendError(ReadOnlySpan<byte> transactionId, int code, ReadOnlySpan<byte> text, EndPoint destination)
    {
        _responseBuffer.ResetWrittenCount();
        KrpcWriter.WriteError(_responseBuffer, transactionId, code, text);
        TransmitPooled(_responseBuffer.WrittenSpan, destination);
    }

    private bool AcceptId(NodeId id, EndPoint source)
    {
        if (source is not IPEndPoint ip || SecureNodeId.IsValid(id, ip.Address)) return true;
        _invalidSecureIds++;
        return !_options.EnforceSecureNodeIds;
    }

    private void PingQuestionable(RoutingNode node)
    {
        if (!_pinging.Add(node.Id)) return;
        var id = Id;
        var nodeId = node.Id;
        var sent = SendQuery(node.EndPoint, nodeId, Math.Max(0, _options.MaxNodeFailures - 1), (o, t) => KrpcWriter.WritePing(o, t, id), reply =>
        {
            lock (_gate)
            {
                _pinging.Remove(nodeId);
                // A timeout already counted one failure; a bad node then makes room for a cached newcomer.
                if (reply is null) _table.MarkFailed(nodeId);
            }
        });
        if (!sent) _pinging.Remove(node.Id);
    }

    private void Maintain()
    {
        List<NodeId> refresh;
        var rebootstrap = false;
        lock (_gate)
        {
            if (_disposed) return;
            refresh = _table.TakeStaleBucketTargets(_options.BucketRefreshInterval, _random);
            if (refresh.Count > 4) refresh.RemoveRange(4, refresh.Count - 4);
            foreach (var node in _table.QuestionableNodes(8)) PingQuestionable(node);
            // Too few nodes to answer for our part of the id space: join again (a lost bootstrap exchange, a long sleep).
            rebootstrap = _table.Count < _options.BucketSize && (_options.BootstrapNodes.Count > 0 || _options.State is not null || _table.Count > 0);
        }
        if (rebootstrap)
        {
            _ = BootstrapAsync(CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return;
        }
        foreach (var target in refresh)
            _ = RunLookupAsync(target, LookupKind.FindNode, null, 0, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
    }

    private static bool SameEndPoint(EndPoint expected, EndPoint actual) =>
        expected.Equals(actual) || (expected is IPEndPoint a && actual is IPEndPoint b && a.Port == b.Port
            && (a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address).Equals(b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address));

    private void LogWarning(Exception e, string message) => _logger?.LogWarning(e, "{Message}", message);

    private void LogDebug(string format, object? a, object? b)
    {
        if (_logger?.IsEnabled(LogLevel.Debug) == true) _logger.LogDebug("{Detail}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, a, b));
    }
}
