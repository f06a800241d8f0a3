using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using WebRtc.Ice.Turn;
using WebRtc.Transport;

namespace WebRtc.Ice;

/// <summary>
/// A full ICE agent (RFC 8445) for one data stream with one component: gathers host, server-reflexive and relay
/// (TURN, through <see cref="TurnClient"/>) candidates, runs paced and retransmitted connectivity checks, learns
/// peer-reflexive candidates, resolves role conflicts, nominates (controlling) or follows nomination (controlled),
/// and keeps consent fresh (RFC 7675).
/// The selected pair is exposed as <see cref="Transport"/>, an <see cref="IDatagramTransport"/> that carries
/// the non-STUN datagrams (RFC 7983: first byte 20-63, i.e. DTLS).
/// </summary>
public sealed class IceAgent : IAsyncDisposable
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private readonly IceAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly List<LocalBase> _bases = [];
    private readonly List<TurnClient> _turnClients = [];
    private readonly List<IceCandidate> _localCandidates = [];
    private readonly List<RemoteCandidate> _remotes = [];
    private readonly List<CandidatePair> _pairs = [];
    private readonly LinkedList<CandidatePair> _triggered = new();
    private readonly Dictionary<StunTransactionId, Transaction> _transactions = [];
    private readonly HashSet<IPEndPoint> _authenticatedRemotes = [];
    private readonly ReceivedDatagramQueue _incoming;
    private readonly TaskCompletionSource _gathered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly List<Action> _pendingEvents = [];
    private readonly byte[] _localPasswordBytes;
    private readonly IceTransport _transport;
    private ITimer? _timer;
    private byte[]? _remotePasswordBytes;
    private string? _remoteUfrag;
    private volatile CandidatePair? _selected;
    private volatile IDatagramReceiver? _receiver;
    private CandidatePair? _nominating;
    private bool _checksStarted;
    private bool _gatheringStarted;
    private long _checksStartedAt;
    private long _firstValidAt = -1;
    private long _nextConsentAt;
    private long _lastConsentAt;
    private long _gatheringDeadline;
    private int _srflxPending;
    private int _relayPending;
    private bool _disposed;

    /// <summary>Creates an agent with fresh random credentials.</summary>
    public IceAgent(IceAgentOptions? options = null, IceRole role = IceRole.Controlling)
    {
        _options = options ?? new IceAgentOptions();
        _options.Turn.Validate();
        _time = _options.TimeProvider;
        Role = role;
        LocalUsernameFragment = RandomIceString(8);
        LocalPassword = RandomIceString(24);
        _localPasswordBytes = Encoding.UTF8.GetBytes(LocalPassword);
        TieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        _incoming = new ReceivedDatagramQueue(_options.ReceiveQueueCapacity);
        _transport = new IceTransport(this);
    }

    /// <summary>Our ICE username fragment (<c>a=ice-ufrag</c>).</summary>
    public string LocalUsernameFragment { get; }

    /// <summary>Our ICE password (<c>a=ice-pwd</c>).</summary>
    public string LocalPassword { get; }

    /// <summary>The tie-breaker used to resolve role conflicts.</summary>
    public ulong TieBreaker { get; }

    /// <summary>The current role (it can change once, on a role conflict).</summary>
    public IceRole Role { get; private set; }

    /// <summary>The gathering state.</summary>
    public IceGatheringState GatheringState { get; private set; }

    /// <summary>The connection state.</summary>
    public IceConnectionState State { get; private set; }

    /// <summary>The selected pair, once connected.</summary>
    public IceSelectedPair? SelectedPair
    {
        get
        {
            var s = _selected;
            return s is null ? null : new IceSelectedPair(s.Local.Socket.LocalEndPoint, s.Remote.EndPoint, s.Remote.Type) { LocalType = s.Local.Candidate.Type };
        }
    }

    /// <summary>Our candidates gathered so far.</summary>
    public IReadOnlyList<IceCandidate> LocalCandidates
    {
        get
        {
            lock (_gate) return _localCandidates.ToArray();
        }
    }

    /// <summary>The selected pair as a datagram transport for DTLS: sends fail until connected; receives end (0) when closed.</summary>
    public IDatagramTransport Transport => _transport;

    /// <summary>Raised for each local candidate as it is gathered (for trickle ICE).</summary>
    public event EventHandler<IceCandidate>? CandidateGathered;

    /// <summary>Raised when <see cref="GatheringState"/> changes.</summary>
    public event EventHandler<IceGatheringState>? GatheringStateChanged;

    /// <summary>Raised when <see cref="State"/> changes.</summary>
    public event EventHandler<IceConnectionState>? StateChanged;

    /// <summary>
    /// Gathers host candidates (unless the policy is <see cref="IceTransportPolicy.Relay"/>), server-reflexive ones from
    /// STUN servers and relay ones from TURN servers; completes when gathering is complete.
    /// </summary>
    public Task GatherAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_gatheringStarted)
            {
                _gatheringStarted = true;
                StartGatheringLocked();
            }
        }
        FlushEvents();
        return _gathered.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Sets the peer's ICE credentials (from its description).</summary>
    public void SetRemoteCredentials(string usernameFragment, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(usernameFragment);
        ArgumentException.ThrowIfNullOrEmpty(password);
        lock (_gate)
        {
            if (_remoteUfrag is not null && _remoteUfrag != usernameFragment)
                throw new InvalidOperationException("ICE restarts are not supported: the remote credentials are already set.");
            _remoteUfrag = usernameFragment;
            _remotePasswordBytes = Encoding.UTF8.GetBytes(password);
        }
    }

    /// <summary>
    /// Adds a remote candidate. UDP candidates with an IP address are paired at once; mDNS (<c>.local</c>) names are
    /// resolved in the background when <see cref="IceAgentOptions.ResolveMdnsCandidates"/> is set (the pair is otherwise
    /// learnt as peer reflexive when the peer's checks arrive); TCP and relay-less unusable candidates are ignored.
    /// </summary>
    public void AddRemoteCandidate(IceCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Protocol != "udp" || candidate.Component != 1 || candidate.Port == 0) return;
        if (candidate.IPAddress is { } ip)
        {
            lock (_gate) AddRemoteLocked(new IPEndPoint(ip, candidate.Port), candidate.Priority, candidate.Type);
            FlushEvents();
            return;
        }
        if (candidate.IsMdns && _options.ResolveMdnsCandidates) _ = ResolveMdnsAsync(candidate);
    }

    /// <summary>Starts connectivity checks (needs the remote credentials; candidates may keep arriving).</summary>
    public void StartChecks(IceRole role)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_remoteUfrag is null) throw new InvalidOperationException("Set the remote credentials before starting checks.");
            if (_checksStarted) return;
            if (!_gatheringStarted)
            {
                _gatheringStarted = true;
                StartGatheringLocked();
            }
            Role = role;
            _checksStarted = true;
            _checksStartedAt = _time.GetTimestamp();
            foreach (var p in _pairs) p.Priority = PairPriority(p.Local.Candidate.Priority, p.Remote.Priority);
            SetStateLocked(IceConnectionState.Checking);
            SendNextCheckLocked(_checksStartedAt); // the first check goes now, later ones every Ta
        }
        FlushEvents();
    }

    /// <summary>Waits until a pair is selected; throws when ICE fails or the agent is closed.</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    /// <summary>Closes the sockets and the transport, and deletes the TURN allocations.</summary>
    public async ValueTask DisposeAsync()
    {
        LocalBase[] bases;
        TurnClient[] turnClients;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            bases = _bases.ToArray();
            turnClients = _turnClients.ToArray();
            SetStateLocked(IceConnectionState.Closed);
        }
        _closing.Cancel();
        _timer?.Dispose();
        foreach (var b in bases) b.Socket.Dispose();
        _incoming.CompleteAndDrain();
        _gathered.TrySetResult();
        _connected.TrySetException(new ObjectDisposedException(nameof(IceAgent)));
        _ = _connected.Task.Exception;
        FlushEvents();
        _closing.Dispose();
        // Each deletion waits for its server at most TurnClientOptions.CloseTimeout; they wait together.
        await Task.WhenAll(turnClients.Select(c => c.DisposeAsync().AsTask()));
    }

    private static string RandomIceString(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = IceChars[RandomNumberGenerator.GetInt32(IceChars.Length)];
        return new string(chars);
    }

    // ---------------------------------------------------------------- gathering

    private void StartGatheringLocked()
    {
        SetGatheringLocked(IceGatheringState.Gathering);
        // Relay-only agents bind no host sockets at all: their TURN clients bind their own.
        var addresses = _options.TransportPolicy == IceTransportPolicy.Relay ? [] : _options.LocalAddresses ?? LocalCandidateFactory.EnumerateAddresses(_options);
        var preference = 65535;
        foreach (var address in addresses)
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && !_options.IncludeIPv6) continue;
            IUdpSocket socket;
            try
            {
                socket = _options.SocketFactory.Bind(new IPEndPoint(address, 0));
            }
            catch (SocketException)
            {
                continue;
            }
            var local = socket.LocalEndPoint;
            var candidate = LocalCandidateFactory.Host(local, preference);
            preference = Math.Max(0, preference - 256);
            var b = new LocalBase(socket, candidate);
            _bases.Add(b);
            AddLocalCandidateLocked(candidate);
            foreach (var r in _remotes) AddPairLocked(b, r);
            _ = ReceiveLoopAsync(b);
        }
        _timer = _time.CreateTimer(_ => Tick(), null, _options.CheckInterval, _options.CheckInterval);
        var now = _time.GetTimestamp();
        _gatheringDeadline = now + ToTicks(_options.GatheringTimeout);
        foreach (var b in _bases)
        {
            foreach (var server in _options.StunServers)
            {
                if (server.AddressFamily != b.Socket.LocalEndPoint.AddressFamily || IPAddress.IsLoopback(b.Socket.LocalEndPoint.Address)) continue;
                var id = StunTransactionId.NewRandom();
                var buffer = new byte[64];
                var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, id);
                w.AddFingerprint();
                var tx = new Transaction(id, TransactionKind.ServerReflexive, b, server, buffer.AsSpan(0, w.Length).ToArray(), null, false);
                _srflxPending++;
                SendTransactionLocked(tx, now);
            }
        }
        var relayPreference = 65535;
        foreach (var server in _options.TurnServers)
        {
            var local = _options.LocalAddresses?.FirstOrDefault(a => a.AddressFamily == server.EndPoint.AddressFamily);
            var client = new TurnClient(server, _options.Turn with { TimeProvider = _time }, _options.SocketFactory, local);
            _turnClients.Add(client);
            _relayPending++;
            _ = GatherRelayAsync(client, relayPreference, _closing.Token);
            relayPreference = Math.Max(0, relayPreference - 256);
        }
        CompleteGatheringIfDoneLocked();
    }

    private async Task GatherRelayAsync(TurnClient client, int localPreference, CancellationToken cancellationToken)
    {
        IUdpSocket? relay = null;
        try
        {
            relay = await client.AllocateAsync(cancellationToken);
        }
        catch (Exception e) when (e is TurnException or TimeoutException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // No relay candidate from this server; the others still count.
        }
        lock (_gate)
        {
            _relayPending--;
            if (!_disposed && relay is not null)
            {
                var candidate = LocalCandidateFactory.Relayed(relay.LocalEndPoint, client.MappedEndPoint, client.Server.EndPoint.Address, localPreference);
                var b = new LocalBase(relay, candidate);
                _bases.Add(b);
                AddLocalCandidateLocked(candidate);
                foreach (var r in _remotes) AddPairLocked(b, r);
                _ = ReceiveLoopAsync(b);
            }
            CompleteGatheringIfDoneLocked();
        }
        FlushEvents();
    }

    private void ServerReflexiveDoneLocked()
    {
        _srflxPending--;
        CompleteGatheringIfDoneLocked();
    }

    private void CompleteGatheringIfDoneLocked()
    {
        if (_srflxPending == 0 && _relayPending == 0) CompleteGatheringLocked();
    }

    private void AddLocalCandidateLocked(IceCandidate candidate)
    {
        _localCandidates.Add(candidate);
        _pendingEvents.Add(() => CandidateGathered?.Invoke(this, candidate));
    }

    private void CompleteGatheringLocked()
    {
        if (GatheringState == IceGatheringState.Complete) return;
        SetGatheringLocked(IceGatheringState.Complete);
        _pendingEvents.Add(() => _gathered.TrySetResult());
    }

    private void SetGatheringLocked(IceGatheringState state)
    {
        GatheringState = state;
        _pendingEvents.Add(() => GatheringStateChanged?.Invoke(this, state));
    }

    private async Task ResolveMdnsAsync(IceCandidate candidate)
    {
        try
        {
            using var cts = new CancellationTokenSource(_options.MdnsResolveTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, _closing.Token);
            var addresses = await Dns.GetHostAddressesAsync(candidate.Address, linked.Token);
            lock (_gate)
            {
                if (_disposed) return;
                foreach (var a in addresses) AddRemoteLocked(new IPEndPoint(a, candidate.Port), candidate.Priority, candidate.Type);
            }
            FlushEvents();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or ArgumentException)
        {
            // Unresolvable: the peer's checks will teach us its address as peer reflexive.
        }
    }

    // ---------------------------------------------------------------- pairs

    private RemoteCandidate? AddRemoteLocked(IPEndPoint endPoint, uint priority, IceCandidateType type)
    {
        if (endPoint.Address.IsIPv4MappedToIPv6) endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
        foreach (var r in _remotes)
        {
            if (r.EndPoint.Equals(endPoint)) return r;
        }
        if (_remotes.Count >= _options.MaxRemoteCandidates) return null;
        var remote = new RemoteCandidate(endPoint, priority, type);
        _remotes.Add(remote);
        foreach (var b in _bases) AddPairLocked(b, remote);
        return remote;
    }

    private CandidatePair? AddPairLocked(LocalBase local, RemoteCandidate remote)
    {
        if (local.Socket.LocalEndPoint.AddressFamily != remote.EndPoint.AddressFamily) return null;
        // A loopback base only reaches loopback peers; anything else cannot leave the machine from it.
        if (IPAddress.IsLoopback(remote.EndPoint.Address) && !IPAddress.IsLoopback(local.Socket.LocalEndPoint.Address)) return null;
        foreach (var p in _pairs)
        {
            if (p.Local == local && p.Remote == remote) return p;
        }
        var pair = new CandidatePair(local, remote) { Priority = PairPriority(local.Candidate.Priority, remote.Priority) };
        _pairs.Add(pair);
        return pair;
    }

    private ulong PairPriority(uint localPriority, uint remotePriority)
    {
        ulong g = Role == IceRole.Controlling ? localPriority : remotePriority;
        ulong d = Role == IceRole.Controlling ? remotePriority : localPriority;
        return (Math.Min(g, d) << 32) + (2 * Math.Max(g, d)) + (g > d ? 1UL : 0UL);
    }

    private void SwitchRoleLocked(IceRole role)
    {
        if (Role == role) return;
        Role = role;
        foreach (var p in _pairs) p.Priority = PairPriority(p.Local.Candidate.Priority, p.Remote.Priority);
    }

    // ---------------------------------------------------------------- timers

    private void Tick()
    {
        lock (_gate)
        {
            if (_disposed) return;
            var now = _time.GetTimestamp();
            RetransmitLocked(now);
            if (GatheringState == IceGatheringState.Gathering && now >= _gatheringDeadline) CompleteGatheringLocked();
            if (_checksStarted && State is IceConnectionState.Checking or IceConnectionState.Connected or IceConnectionState.Disconnected)
            {
                if (_selected is null)
                {
                    if (now - _checksStartedAt >= ToTicks(_options.ConnectTimeout))
                    {
                        FailLocked("no candidate pair worked before the connect timeout");
                    }
                    else
                    {
                        SendNextCheckLocked(now);
                        if (Role == IceRole.Controlling) NominateLocked(now);
                    }
                }
                else
                {
                    if (_triggered.Count > 0) SendNextCheckLocked(now);
                    ConsentLocked(now);
                }
            }
        }
        FlushEvents();
    }

    private void RetransmitLocked(long now)
    {
        List<Transaction>? expired = null;
        foreach (var tx in _transactions.Values)
        {
            if (now < tx.NextDue) continue;
            var maxTransmissions = tx.Kind == TransactionKind.Consent ? 1 : _options.MaxCheckTransmissions;
            if (tx.Transmissions >= maxTransmissions) (expired ??= []).Add(tx);
            else SendTransactionLocked(tx, now);
        }
        if (expired is null) return;
        foreach (var tx in expired)
        {
            _transactions.Remove(tx.Id);
            switch (tx.Kind)
            {
                case TransactionKind.Check:
                    if (tx.Pair is { } pair && pair.Active == tx)
                    {
                        pair.Active = null;
                        if (pair.State != PairState.Succeeded) pair.State = PairState.Failed;
                        if (_nominating == pair) _nominating = null;
                    }
                    break;
                case TransactionKind.ServerReflexive:
                    ServerReflexiveDoneLocked();
                    break;
                default:
                    break;
            }
        }
    }

    private void SendNextCheckLocked(long now)
    {
        if (_remotePasswordBytes is null) return;
        CandidatePair? next = null;
        while (_triggered.First is { } node)
        {
            _triggered.RemoveFirst();
            node.Value.Queued = false;
            if (node.Value.Active is null && node.Value.State != PairState.Failed)
            {
                next = node.Value;
                break;
            }
        }
        if (next is null)
        {
            if (_selected is not null) return;
            foreach (var p in _pairs)
            {
                if (p.State == PairState.Waiting && p.Active is null && (next is null || p.Priority > next.Priority)) next = p;
            }
        }
        if (next is null) return;
        StartCheckLocked(next, useCandidate: Role == IceRole.Controlling && _nominating == next, now);
    }

    private void NominateLocked(long now)
    {
        if (_nominating is not null || _firstValidAt < 0) return;
        CandidatePair? best = null;
        var betterPending = false;
        foreach (var p in _pairs)
        {
            if (p.State == PairState.Succeeded && (best is null || p.Priority > best.Priority)) best = p;
        }
        if (best is null) return;
        foreach (var p in _pairs)
        {
            if (p.Priority > best.Priority && p.State is PairState.Waiting or PairState.InProgress) betterPending = true;
        }
        if (betterPending && now - _firstValidAt < ToTicks(_options.NominationDelay)) return;
        _nominating = best;
        if (best.Active is { } active)
        {
            _transactions.Remove(active.Id);
            best.Active = null;
        }
        StartCheckLocked(best, useCandidate: true, now);
    }

    private void ConsentLocked(long now)
    {
        var selected = _selected!;
        var silent = now - _lastConsentAt;
        if (silent >= ToTicks(_options.ConsentTimeout))
        {
            FailLocked("consent expired (RFC 7675)");
            return;
        }
        if (silent >= ToTicks(_options.DisconnectedTimeout)) SetStateLocked(IceConnectionState.Disconnected);
        if (now < _nextConsentAt) return;
        var jitter = 0.8 + (RandomNumberGenerator.GetInt32(401) / 1000.0);
        _nextConsentAt = now + (long)(ToTicks(_options.ConsentInterval) * jitter);
        var tx = BuildCheckLocked(selected, TransactionKind.Consent, useCandidate: false);
        tx.NextDue = long.MaxValue;
        SendTransactionLocked(tx, now);
        // Consent requests are not retransmitted but each expires when the next one is due.
        tx.NextDue = _nextConsentAt;
    }

    private void FailLocked(string reason)
    {
        _ = reason;
        SetStateLocked(IceConnectionState.Failed);
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pendingEvents.Add(() =>
        {
            _connected.TrySetException(new IceException("ICE failed: " + reason + "."));
            _ = _connected.Task.Exception;
            _incoming.Complete();
        });
    }

    // ---------------------------------------------------------------- checks

    private void StartCheckLocked(CandidatePair pair, bool useCandidate, long now)
    {
        var tx = BuildCheckLocked(pair, TransactionKind.Check, useCandidate);
        pair.Active = tx;
        if (pair.State != PairState.Succeeded) pair.State = PairState.InProgress;
        SendTransactionLocked(tx, now);
    }

    private Transaction BuildCheckLocked(CandidatePair pair, TransactionKind kind, bool useCandidate)
    {
        var id = StunTransactionId.NewRandom();
        Span<byte> buffer = stackalloc byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, id);
        w.AddUsername(_remoteUfrag + ":" + LocalUsernameFragment);
        // PRIORITY is the priority a peer-reflexive candidate of ours would have.
        w.AddPriority(IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, (int)((pair.Local.Candidate.Priority >> 8) & 0xFFFF)));
        if (Role == IceRole.Controlling) w.AddIceControlling(TieBreaker);
        else w.AddIceControlled(TieBreaker);
        if (useCandidate) w.AddUseCandidate();
        w.AddMessageIntegrity(_remotePasswordBytes);
        w.AddFingerprint();
        return new Transaction(id, kind, pair.Local, pair.Remote.EndPoint, w.Written.ToArray(), pair, useCandidate);
    }

    private void SendTransactionLocked(Transaction tx, long now)
    {
        _transactions[tx.Id] = tx;
        tx.Transmissions++;
        var rto = TimeSpan.FromTicks(Math.Min(_options.MaxRetransmitTimeout.Ticks, _options.InitialRetransmitTimeout.Ticks << Math.Min(tx.Transmissions - 1, 16)));
        tx.NextDue = now + ToTicks(rto);
        tx.Base.Socket.Send(tx.Bytes, tx.Remote);
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    // ---------------------------------------------------------------- receive

    private async Task ReceiveLoopAsync(LocalBase local)
    {
        var buffer = new byte[65536];
        var token = _closing.Token;
        while (!token.IsCancellationRequested)
        {
            UdpReceiveResult result;
            try
            {
                result = await local.Socket.ReceiveAsync(buffer, token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ChannelClosedException or SocketException)
            {
                return;
            }
            if (result.Length == 0) continue;
            var datagram = buffer.AsSpan(0, result.Length);
            var from = result.RemoteEndPoint.Address.IsIPv4MappedToIPv6
                ? new IPEndPoint(result.RemoteEndPoint.Address.MapToIPv4(), result.RemoteEndPoint.Port)
                : result.RemoteEndPoint;
            var first = datagram[0];
            if (first < 4)
            {
                lock (_gate)
                {
                    if (!_disposed) HandleStunLocked(local, datagram, from);
                }
                FlushEvents();
            }
            else if (first is >= 20 and <= 63)
            {
                bool accept;
                lock (_gate) accept = !_disposed && _authenticatedRemotes.Contains(from);
                if (!accept) continue;
                if (_receiver is not { } receiver) _incoming.Enqueue(datagram);
                else
                {
                    try
                    {
                        receiver.OnDatagram(datagram);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // A failing layer above must not stop this loop (STUN consent runs on it): drop the datagram.
                    }
                }
            }
            // Anything else (RTP, TURN channel data, junk) is not ours: dropped.
        }
    }

    private void HandleStunLocked(LocalBase local, ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!StunMessage.TryParse(datagram, out var message) || message!.Method != StunMethod.Binding) return;
        switch (message.Class)
        {
            case StunClass.Request:
                HandleRequestLocked(local, datagram, message, from);
                break;
            case StunClass.SuccessResponse:
            case StunClass.ErrorResponse:
                HandleResponseLocked(datagram, message, from);
                break;
            default:
                break; // Binding indications: keepalives, nothing to do.
        }
    }

    private void HandleRequestLocked(LocalBase local, ReadOnlySpan<byte> datagram, StunMessage request, IPEndPoint from)
    {
        if (request.Username is null || !request.HasMessageIntegrity)
        {
            SendErrorLocked(local, from, request.TransactionId, 400, "Bad Request", authenticated: false);
            return;
        }
        var colon = request.Username.IndexOf(':', StringComparison.Ordinal);
        var target = colon < 0 ? request.Username : request.Username[..colon];
        var source = colon < 0 ? "" : request.Username[(colon + 1)..];
        if (target != LocalUsernameFragment || (_remoteUfrag is not null && source != _remoteUfrag)
            || !request.VerifyMessageIntegrity(datagram, _localPasswordBytes))
        {
            SendErrorLocked(local, from, request.TransactionId, 401, "Unauthorized", authenticated: false);
            return;
        }
        if (request.UnknownComprehensionRequired.Count > 0)
        {
            SendErrorLocked(local, from, request.TransactionId, 420, "Unknown Attribute", authenticated: true);
            return;
        }

        // Role conflict (RFC 8445 section 7.3.1.1).
        if (Role == IceRole.Controlling && request.IceControlling is { } theirs)
        {
            if (TieBreaker >= theirs)
            {
                SendErrorLocked(local, from, request.TransactionId, 487, "Role Conflict", authenticated: true);
                return;
            }
            SwitchRoleLocked(IceRole.Controlled);
        }
        else if (Role == IceRole.Controlled && request.IceControlled is { } theirs2)
        {
            if (TieBreaker >= theirs2) SwitchRoleLocked(IceRole.Controlling);
            else
            {
                SendErrorLocked(local, from, request.TransactionId, 487, "Role Conflict", authenticated: true);
                return;
            }
        }

        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, request.TransactionId);
        w.AddXorMappedAddress(from);
        w.AddMessageIntegrity(_localPasswordBytes);
        w.AddFingerprint();
        local.Socket.Send(w.Written, from);

        if (State is IceConnectionState.Failed or IceConnectionState.Closed) return;
        _authenticatedRemotes.Add(from);
        var remote = AddRemoteLocked(from, request.Priority ?? IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, 0), IceCandidateType.PeerReflexive);
        if (remote is null) return;
        var pair = AddPairLocked(local, remote);
        if (pair is null) return;
        if (Role == IceRole.Controlled && request.UseCandidate)
        {
            if (pair.State == PairState.Succeeded)
            {
                SelectLocked(pair);
                return;
            }
            pair.NominateOnSuccess = true;
        }
        if (pair.State != PairState.Succeeded || _selected is null)
        {
            if (pair.State == PairState.Failed) pair.State = PairState.Waiting;
            if (pair.State != PairState.Succeeded && !pair.Queued && pair.Active is null)
            {
                if (_checksStarted && _remotePasswordBytes is not null)
                {
                    // Triggered checks answer the peer's own pacing, so they go at once rather than at the next Ta.
                    StartCheckLocked(pair, useCandidate: Role == IceRole.Controlling && _nominating == pair, _time.GetTimestamp());
                }
                else
                {
                    pair.Queued = true;
                    _triggered.AddLast(pair);
                }
            }
        }
        // A check before our own checks started (remote description not applied yet) waits as a triggered check.
    }

    private void SendErrorLocked(LocalBase local, IPEndPoint to, StunTransactionId id, int code, string reason, bool authenticated)
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunClass.ErrorResponse, StunMethod.Binding, id);
        w.AddErrorCode(code, reason);
        if (authenticated) w.AddMessageIntegrity(_localPasswordBytes);
        w.AddFingerprint();
        local.Socket.Send(w.Written, to);
    }

    private void HandleResponseLocked(ReadOnlySpan<byte> datagram, StunMessage response, IPEndPoint from)
    {
        if (!_transactions.TryGetValue(response.TransactionId, out var tx)) return;
        if (tx.Kind == TransactionKind.ServerReflexive)
        {
            _transactions.Remove(tx.Id);
            if (response.Class == StunClass.SuccessResponse && (response.XorMappedAddress ?? response.MappedAddress) is { } mapped
                && !mapped.Equals(tx.Base.Socket.LocalEndPoint))
            {
                var candidate = LocalCandidateFactory.ServerReflexive(mapped, tx.Base.Socket.LocalEndPoint, tx.Base.Candidate.Priority);
                if (!_localCandidates.Any(c => c.Address == candidate.Address && c.Port == candidate.Port)) AddLocalCandidateLocked(candidate);
            }
            ServerReflexiveDoneLocked();
            return;
        }
        if (_remotePasswordBytes is null || !response.VerifyMessageIntegrity(datagram, _remotePasswordBytes)) return;
        _transactions.Remove(tx.Id);
        var now = _time.GetTimestamp();
        if (tx.Kind == TransactionKind.Consent)
        {
            if (response.Class == StunClass.SuccessResponse && tx.Pair == _selected)
            {
                _lastConsentAt = now;
                if (State == IceConnectionState.Disconnected) SetStateLocked(IceConnectionState.Connected);
            }
            return;
        }
        var pair = tx.Pair!;
        if (pair.Active == tx) pair.Active = null;
        if (response.Class == StunClass.ErrorResponse)
        {
            if (response.ErrorCode == 487)
            {
                SwitchRoleLocked(Role == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling);
                if (_nominating == pair) _nominating = null;
                pair.State = PairState.Waiting;
                if (!pair.Queued)
                {
                    pair.Queued = true;
                    _triggered.AddFirst(pair);
                }
            }
            else if (pair.State != PairState.Succeeded)
            {
                pair.State = PairState.Failed;
            }
            return;
        }
        if (!from.Equals(pair.Remote.EndPoint))
        {
            pair.State = PairState.Failed; // not symmetric (RFC 8445 section 7.2.5.2.1)
            return;
        }
        pair.State = PairState.Succeeded;
        _authenticatedRemotes.Add(from);
        if (_firstValidAt < 0) _firstValidAt = now;
        if ((tx.UseCandidate && Role == IceRole.Controlling) || (pair.NominateOnSuccess && Role == IceRole.Controlled)) SelectLocked(pair);
        else if (Role == IceRole.Controlling && _selected is null) NominateLocked(now);
    }

    private void SelectLocked(CandidatePair pair)
    {
        var current = _selected;
        if (current == pair) return;
        if (current is not null && current.Priority >= pair.Priority) return;
        _selected = pair;
        pair.Nominated = true;
        var now = _time.GetTimestamp();
        _lastConsentAt = now;
        _nextConsentAt = now + ToTicks(_options.ConsentInterval);
        if (current is null)
        {
            SetStateLocked(IceConnectionState.Connected);
            _pendingEvents.Add(() => _connected.TrySetResult());
        }
    }

    private void SetStateLocked(IceConnectionState state)
    {
        if (State == state || State == IceConnectionState.Closed) return;
        if (State == IceConnectionState.Failed && state != IceConnectionState.Closed) return;
        State = state;
        _pendingEvents.Add(() => StateChanged?.Invoke(this, state));
    }

    private void FlushEvents()
    {
        while (true)
        {
            Action[] events;
            lock (_gate)
            {
                if (_pendingEvents.Count == 0) return;
                events = _pendingEvents.ToArray();
                _pendingEvents.Clear();
            }
            foreach (var e in events) e();
        }
    }

    // ---------------------------------------------------------------- transport

    private void SendSelected(ReadOnlySpan<byte> datagram)
    {
        var selected = _selected ?? throw new InvalidOperationException("ICE has not selected a candidate pair yet.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        selected.Local.Socket.Send(datagram, selected.Remote.EndPoint);
    }

    private sealed class IceTransport(IceAgent agent) : IDatagramTransport, IPushDatagramTransport, ISegmentedDatagramSender
    {
        public bool TrySendSegments(ReadOnlySpan<byte> buffer, int segmentSize)
        {
            var selected = agent._selected;
            if (selected is null || agent._disposed || selected.Local.Socket is not ISegmentingUdpSocket socket) return false;
            return socket.TrySendSegments(buffer, segmentSize, selected.Remote.EndPoint);
        }

        public void SetReceiver(IDatagramReceiver? receiver) => agent._receiver = receiver;

        public int MaxDatagramSize => agent._options.MaxDatagramSize;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (datagram.Length > MaxDatagramSize) throw new ArgumentException($"Datagram larger than {MaxDatagramSize} bytes.", nameof(datagram));
            if (datagram.Length == 0) throw new ArgumentException("Empty datagram.", nameof(datagram));
            agent.SendSelected(datagram.Span);
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            agent._incoming.DequeueAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => agent.DisposeAsync();
    }

    private enum PairState
    {
        Waiting,
        InProgress,
        Succeeded,
        Failed,
    }

    private enum TransactionKind
    {
        Check,
        Consent,
        ServerReflexive,
    }

    private sealed record LocalBase(IUdpSocket Socket, IceCandidate Candidate);

    private sealed record RemoteCandidate(IPEndPoint EndPoint, uint Priority, IceCandidateType Type);

    private sealed class CandidatePair(LocalBase local, RemoteCandidate remote)
    {
        public LocalBase Local { get; } = local;

        public RemoteCandidate Remote { get; } = remote;

        public ulong Priority { get; set; }

        public PairState State { get; set; }

        public bool Nominated { get; set; }

        public bool NominateOnSuccess { get; set; }

        public bool Queued { get; set; }

        public Transaction? Active { get; set; }
    }

    private sealed class Transaction(StunTransactionId id, TransactionKind kind, LocalBase @base, IPEndPoint remote, byte[] bytes, CandidatePair? pair, bool useCandidate)
    {
        public StunTransactionId Id { get; } = id;

        public TransactionKind Kind { get; } = kind;

        public LocalBase Base { get; } = @base;

        public IPEndPoint Remote { get; } = remote;

        public byte[] Bytes { get; } = bytes;

        public CandidatePair? Pair { get; } = pair;

        public bool UseCandidate { get; } = useCandidate;

        public int Transmissions { get; set; }

        public long NextDue { get; set; }
    }
}

/// <summary>Thrown when ICE fails (no working pair, or consent lost).</summary>
public sealed class IceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IceException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public IceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public IceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
