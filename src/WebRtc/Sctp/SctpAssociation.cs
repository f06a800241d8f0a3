using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading.Channels;
using WebRtc.Sctp.Chunks;
using WebRtc.Sctp.Congestion;
using WebRtc.Transport;

namespace WebRtc.Sctp;

/// <summary>
/// An SCTP association (RFC 9260) over a datagram transport, as WebRTC runs it over DTLS (RFC 8261):
/// four-way handshake with state cookie (simultaneous open included), fragmentation and reassembly,
/// ordered and unordered streams, SACK with gap blocks and duplicates, delayed acks, fast retransmit,
/// RTO with backoff, congestion control, receiver window, heartbeats, partial reliability
/// (FORWARD-TSN, RFC 3758), stream reset (RE-CONFIG, RFC 6525), SHUTDOWN and ABORT.
/// </summary>
/// <remarks>
/// All protocol state sits behind one lock. A receive loop reads the transport; a send loop writes
/// packets queued under the lock, so the lock is never held across I/O. Messages, stream resets and
/// buffered-amount changes are raised outside the lock.
/// </remarks>
public sealed partial class SctpAssociation : IAsyncDisposable, IDatagramReceiver
{
    private const int MaxGapBlocks = 64;
    private const int MaxDuplicates = 16;
    private const int CookieLength = 32 + 32;

    private readonly object _gate = new();
    private readonly IDatagramTransport _transport;
    private readonly SctpOptions _options;
    private readonly TimeProvider _time;
    private readonly int _mtu;
    private readonly int _maxDataPayload;
    private readonly Channel<OutgoingPacket> _sendQueue = Channel.CreateUnbounded<OutgoingPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _cookieKey = RandomNumberGenerator.GetBytes(32);
    private readonly ITimer _t1Timer, _t2Timer, _t3Timer, _delayedAckTimer, _heartbeatTimer, _reconfigTimer;
    private Task _receiveLoop = Task.CompletedTask, _sendLoop = Task.CompletedTask;

    // Packets come from the receive loop and, over a transport that pushes (DTLS), from its receive thread:
    // one at a time, so deliveries keep their order.
    private readonly object _receiveGate = new();

    // Packets the send loop hands to a batching transport at once (UDP GSO allows 64 segments).
    private const int MaxSendBatch = 32;
    private bool _started;
    private Exception? _error;

    // Tags and handshake.
    private readonly uint _localTag;
    private readonly uint _initialTsn;
    private uint _peerTag;
    private byte[]? _cookieToEcho;
    private int _initRetransmits;
    private bool _peerParametersSet;

    // Negotiated.
    private ushort _outboundStreamCount, _inboundStreamCount;
    private bool _peerSupportsForwardTsn, _peerSupportsReconfig;

    // Sender.
    private RenoCongestionController _congestion;
    private readonly RtoCalculator _rto;
    private readonly Queue<OutboundChunk> _pending = new();
    private readonly ChunkRing _inflight = new();
    private readonly Stack<OutboundChunk> _chunkPool = new();
    private readonly Dictionary<ushort, OutboundStream> _outStreams = [];
    private readonly List<ForwardTsnStream> _forwardStreams = [];
    private uint _nextTsn;
    private uint _cumAckTsn;
    private uint _advancedPeerAckPoint;
    private long _flightSize;
    private long _peerRwnd;
    private long _totalBuffered;
    private int _retransmitCount;
    private int _errorCount;
    private long _nextMessageId;
    private bool _forwardTsnPending;
    private bool _fastRetransmitPending;
    private bool _t3Running;
    private uint _rttProbeTsn;
    private long _rttProbeSentAt;
    private bool _rttProbeActive;
    private List<TaskCompletionSource>? _sendWaiters;

    // Receiver.
    private readonly TsnBitmap _received = new();
    private readonly ReassemblyBudget _reassembly;
    private readonly List<InboundFragment> _collected = []; // under _gate: the message DeliverOrdered hands over
    private readonly Dictionary<ushort, InboundStream> _inStreams = [];
    private readonly uint[] _duplicates = new uint[MaxDuplicates];
    private readonly GapAckBlock[] _gapScratch = new GapAckBlock[MaxGapBlocks];
    private int _duplicateCount;
    private uint _peerCumTsn;
    private uint _highestReceivedTsn;
    private long _receiveBuffered;
    private long _lastAdvertisedRwnd;
    private bool _sackImmediately;
    private bool _sackDue;
    private int _dataPacketsSinceSack;
    private bool _delayedAckArmed;

    // Stream reset (RFC 6525).
    private uint _nextReconfigRequestSeq;
    private uint _peerNextReconfigRequestSeq;
    private OutgoingResetRequest? _outstandingReset;
    private bool _reconfigSendPending;
    private OutgoingResetRequest? _deferredIncomingReset;
    private ReconfigResponse? _lastReconfigResponse;
    private readonly List<ReconfigResponse> _reconfigResponsesToSend = [];
    private readonly List<ushort> _streamsAwaitingReset = [];

    // Heartbeat.
    private bool _heartbeatOutstanding;

    // Buffer pools: chunk payloads are rented and returned under _gate; packets are returned by the send loop.
    private readonly Stack<byte[]> _chunkBuffers = new();
    private readonly Stack<byte[]> _packetBuffers = new();
    private readonly object _packetPoolGate = new();

    // Outgoing packet under construction.
    private byte[]? _packet;
    private int _packetLength;
    private uint _packetTag;

    // Work to run outside the lock.
    private readonly List<Delivery> _deliveries = [];
    private readonly List<Delivery> _deliveriesDraining = [];
    private readonly List<Notification> _notifications = [];
    private readonly List<Notification> _notificationsDraining = [];
    private readonly object _notifyGate = new();

    private SctpStatistics _stats;

    // Zero checksum (RFC 9653): the peer offered method 1; we send zeros once established.
    private bool _peerAcceptsZeroChecksum;
    private volatile bool _sendZeroChecksum;
    private bool _packetNeedsChecksum; // the packet under construction holds INIT, INIT-ACK or COOKIE-ECHO
    private SctpAssociationState _state;

    /// <summary>Creates an association over <paramref name="transport"/>; call <see cref="ConnectAsync"/> to start it.</summary>
    /// <param name="transport">The datagram transport (in WebRTC, the DTLS transport). Not disposed by the association.</param>
    /// <param name="options">Settings; null takes the defaults.</param>
    /// <param name="timeProvider">Clock of every timer; null is the system clock.</param>
    public SctpAssociation(IDatagramTransport transport, SctpOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new SctpOptions();
        _options.Validate();
        _reassembly = new ReassemblyBudget(_options.ReassemblyLimit);
        _time = timeProvider ?? TimeProvider.System;
        _mtu = Math.Min(_options.MaxPacketSize ?? transport.MaxDatagramSize, transport.MaxDatagramSize);
        if (_mtu < 256) throw new ArgumentException("The transport's datagrams are too small for SCTP.", nameof(transport));
        _maxDataPayload = (_mtu - SctpPacket.HeaderLength - DataChunk.HeaderLength) & ~3;
        Span<byte> random = stackalloc byte[8];
        do RandomNumberGenerator.Fill(random); while (BinaryPrimitives.ReadUInt32BigEndian(random) == 0);
        _localTag = BinaryPrimitives.ReadUInt32BigEndian(random);
        _initialTsn = BinaryPrimitives.ReadUInt32BigEndian(random[4..]);
        _nextTsn = _initialTsn;
        _cumAckTsn = _initialTsn - 1;
        _advancedPeerAckPoint = _cumAckTsn;
        _nextReconfigRequestSeq = _initialTsn;
        _rto = new RtoCalculator(_options.RtoInitial, _options.RtoMin, _options.RtoMax);
        _congestion = new RenoCongestionController(_mtu, _options.ReceiveWindow);
        _t1Timer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnT1Expired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _t2Timer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnT2Expired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _t3Timer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnT3Expired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _delayedAckTimer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnDelayedAckExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _heartbeatTimer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnHeartbeatTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _reconfigTimer = _time.CreateTimer(static s => ((SctpAssociation)s!).OnReconfigTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Receives every complete message. The handler owns the message and must dispose it (at once or
    /// later): until then its bytes count against the receive window. Runs on the receive loop, in order.
    /// With no handler, messages are dropped.
    /// </summary>
    public Action<SctpMessage>? MessageReceived { get; set; }

    /// <summary>The peer reset one of its outgoing streams (our incoming stream): a data channel closed remotely.</summary>
    public event EventHandler<ushort>? IncomingStreamReset;

    /// <summary>A reset of one of our outgoing streams, requested with <see cref="ResetStream"/>, was performed by the peer.</summary>
    public event EventHandler<ushort>? OutgoingStreamReset;

    /// <summary>Bytes buffered on a stream went down (acknowledged or abandoned); the argument is the stream id.</summary>
    public event EventHandler<ushort>? BufferedAmountDecreased;

    /// <summary>The association ended: null for a graceful shutdown, else the reason (abort, timeout, transport closed).</summary>
    public event EventHandler<Exception?>? Closed;

    /// <summary>The current state.</summary>
    public SctpAssociationState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>Outbound streams negotiated with the peer (0 before the association is established).</summary>
    public ushort OutboundStreamCount
    {
        get { lock (_gate) return _outboundStreamCount; }
    }

    /// <summary>Inbound streams negotiated with the peer (0 before the association is established).</summary>
    public ushort InboundStreamCount
    {
        get { lock (_gate) return _inboundStreamCount; }
    }

    /// <summary>True once the peer said it supports FORWARD-TSN (partially reliable messages).</summary>
    public bool PartialReliabilitySupported
    {
        get { lock (_gate) return _peerSupportsForwardTsn; }
    }

    /// <summary>True once the peer said it supports RE-CONFIG (stream reset).</summary>
    public bool StreamResetSupported
    {
        get { lock (_gate) return _peerSupportsReconfig; }
    }

    /// <summary>
    /// True once both ends offered zero checksums over DTLS (RFC 9653, <see cref="SctpOptions.ZeroChecksum"/>) and the
    /// association is established: packets then go out without a CRC32c.
    /// </summary>
    public bool ZeroChecksumNegotiated => _sendZeroChecksum;

    /// <summary>Largest packet this association sends.</summary>
    public int MaxPacketSize => _mtu;

    /// <summary>Completes when the association is closed; faults with the reason if it was not a graceful shutdown.</summary>
    public Task Completion => _closed.Task;

    /// <summary>Counters and the current windows, for diagnostics and tests.</summary>
    public SctpStatistics GetStatistics()
    {
        lock (_gate)
        {
            var s = _stats;
            s.CongestionWindow = _congestion.Cwnd;
            s.SlowStartThreshold = _congestion.Ssthresh;
            s.PeerReceiveWindow = _peerRwnd;
            s.FlightSize = _flightSize;
            s.BufferedAmount = _totalBuffered;
            s.SmoothedRtt = _rto.SmoothedRtt;
            s.RetransmissionTimeout = _rto.Rto;
            return s;
        }
    }

    /// <summary>Bytes sent on <paramref name="streamId"/> not yet acknowledged (queued or in flight).</summary>
    public long GetBufferedAmount(ushort streamId)
    {
        lock (_gate) return _outStreams.TryGetValue(streamId, out var s) ? s.Buffered : 0;
    }

    /// <summary>Bytes sent on all streams and not yet acknowledged.</summary>
    public long BufferedAmount
    {
        get { lock (_gate) return _totalBuffered; }
    }

    /// <summary>
    /// Starts the association: sends INIT and completes once ESTABLISHED. Both WebRTC peers call this
    /// (both send INIT; the collision resolves per RFC 9260 section 5.2).
    /// </summary>
    /// <exception cref="SctpException">The peer never answered, or aborted.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_started) throw new InvalidOperationException("ConnectAsync was already called.");
            _started = true;
            _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
            if (_transport is IPushDatagramTransport push) push.SetReceiver(this);
            _sendLoop = Task.Run(SendLoopAsync, CancellationToken.None);
            _state = SctpAssociationState.CookieWait;
            SendInit();
            FlushPacket();
        }
        await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues one message on a stream. Completes once the message is queued (not when it is
    /// acknowledged); waits while <see cref="SctpOptions.MaxSendBuffer"/> bytes are outstanding.
    /// </summary>
    /// <param name="streamId">Stream id, below <see cref="OutboundStreamCount"/>.</param>
    /// <param name="payloadProtocol">Payload protocol identifier carried with the message.</param>
    /// <param name="data">The message, at least one byte (SCTP cannot carry empty messages).</param>
    /// <param name="options">Ordering and partial reliability.</param>
    /// <param name="cancellationToken">Cancels the wait for buffer space.</param>
    public async ValueTask SendAsync(ushort streamId, uint payloadProtocol, ReadOnlyMemory<byte> data, SctpSendOptions options = default, CancellationToken cancellationToken = default)
    {
        if (data.IsEmpty) throw new ArgumentException("SCTP cannot send an empty message.", nameof(data));
        if (options.MaxRetransmits is < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxRetransmits cannot be negative.");
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_gate)
            {
                ThrowIfCannotSend(streamId);
                if (_totalBuffered < _options.MaxSendBuffer)
                {
                    Enqueue(streamId, payloadProtocol, data.Span, options);
                    Transmit();
                    FlushPacket();
                    return;
                }
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                (_sendWaiters ??= []).Add(waiter);
            }
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Resets an outgoing stream (RFC 6525) once everything queued on it has been sent: how a data
    /// channel is closed. <see cref="OutgoingStreamReset"/> fires when the peer performed it.
    /// </summary>
    public void ResetStream(ushort streamId)
    {
        lock (_gate)
        {
            if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShutdownPending)) return;
            if (!_peerSupportsReconfig) throw new NotSupportedException("The peer does not support stream reset (RE-CONFIG).");
            var stream = GetOutboundStream(streamId);
            if (stream.ResetRequested) return;
            stream.ResetRequested = true;
            _streamsAwaitingReset.Add(streamId);
            Transmit();
            FlushPacket();
        }
    }

    /// <summary>
    /// Closes gracefully: sends what is queued, then SHUTDOWN; completes when the peer confirmed.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            switch (_state)
            {
                case SctpAssociationState.Established:
                    _state = SctpAssociationState.ShutdownPending;
                    Transmit();
                    FlushPacket();
                    break;
                case SctpAssociationState.Closed when !_started:
                    _state = SctpAssociationState.Closed;
                    _closed.TrySetResult();
                    return;
                case SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed:
                    AbortLocked("closed before the association was established");
                    break;
            }
        }
        RunNotifications();
        try
        {
            await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SctpException)
        {
            // The association ended anyway; CloseAsync's job is done.
        }
    }

    /// <summary>Aborts at once: sends ABORT with <paramref name="reason"/> and drops everything queued.</summary>
    public void Abort(string reason = "user abort")
    {
        lock (_gate) AbortLocked(reason);
        RunNotifications();
    }

    /// <summary>Aborts the association if still open, and stops its loops. The transport is left to its owner.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_started && _transport is IPushDatagramTransport push) push.SetReceiver(null);
        lock (_gate)
        {
            if (_state != SctpAssociationState.Closed) AbortLocked("association disposed");
            else FailLocked(new ObjectDisposedException(nameof(SctpAssociation)));
            _sendQueue.Writer.TryComplete();
        }
        RunNotifications();
        try
        {
            await _sendLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A stuck transport send: stop waiting, cancellation below ends it.
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_receiveLoop, _sendLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected.
        }
        _t1Timer.Dispose();
        _t2Timer.Dispose();
        _t3Timer.Dispose();
        _delayedAckTimer.Dispose();
        _heartbeatTimer.Dispose();
        _reconfigTimer.Dispose();
        _stop.Dispose();
        _closed.Task.Exception?.Handle(static _ => true);
        _connected.Task.Exception?.Handle(static _ => true);
    }

    private void ThrowIfCannotSend(ushort streamId)
    {
        if (_state != SctpAssociationState.Established)
        {
            if (_error is not null) throw new SctpException("The association is closed: " + _error.Message, _error);
            if (_state != SctpAssociationState.Closed || _started) throw new SctpException($"The association is {_state}: no more data can be sent.");
            throw new InvalidOperationException($"Cannot send in state {_state}.");
        }
        if (streamId >= _outboundStreamCount)
            throw new ArgumentOutOfRangeException(nameof(streamId), $"Stream {streamId} is beyond the {_outboundStreamCount} negotiated streams.");
        if (_outStreams.TryGetValue(streamId, out var s) && s.ResetRequested)
            throw new InvalidOperationException($"Stream {streamId} is being reset.");
    }

    private OutboundStream GetOutboundStream(ushort streamId)
    {
        if (!_outStreams.TryGetValue(streamId, out var stream))
        {
            stream = new OutboundStream();
            _outStreams.Add(streamId, stream);
        }
        return stream;
    }

    private InboundStream GetInboundStream(ushort streamId)
    {
        if (!_inStreams.TryGetValue(streamId, out var stream))
        {
            stream = new InboundStream(_reassembly);
            _inStreams.Add(streamId, stream);
        }
        return stream;
    }

    private long Now => _time.GetTimestamp();

    private TimeSpan Elapsed(long since) => _time.GetElapsedTime(since);

    // ---------------------------------------------------------------- loops

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(_options.MaxReceivePacketSize);
        try
        {
            while (true)
            {
                var length = await _transport.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (length == 0)
                {
                    lock (_gate) FailLocked(new SctpException("The transport closed."));
                    RunNotifications();
                    return;
                }
                lock (_receiveGate)
                {
                    ProcessPacket(buffer.AsSpan(0, length));
                    DrainDeliveries();
                    RunNotifications();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_gate) FailLocked(ex as SctpException ?? new SctpException("The receive loop failed: " + ex.Message, ex));
            RunNotifications();
        }
    }

    /// <summary>A packet pushed by the transport's receive thread (see <see cref="IPushDatagramTransport"/>).</summary>
    void IDatagramReceiver.OnDatagram(Span<byte> datagram)
    {
        if (_stop.IsCancellationRequested) return;
        try
        {
            lock (_receiveGate)
            {
                ProcessPacket(datagram);
                DrainDeliveries();
                RunNotifications();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_gate) FailLocked(ex as SctpException ?? new SctpException("Processing a received packet failed: " + ex.Message, ex));
            RunNotifications();
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _sendQueue.Reader;
        var batching = _transport as IBatchDatagramTransport;
        var packets = new OutgoingPacket[MaxSendBatch];
        var datagrams = new ReadOnlyMemory<byte>[MaxSendBatch];
        var count = 0;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Take what is queued (up to a batch) and send it with one call when the transport can.
                while (true)
                {
                    count = 0;
                    while (count < MaxSendBatch && reader.TryRead(out var packet))
                    {
                        packets[count] = packet;
                        datagrams[count] = packet.Buffer.AsMemory(0, packet.Length);
                        count++;
                    }
                    if (count == 0) break;
                    try
                    {
                        if (count == 1 || batching is null || !batching.TrySendBatch(datagrams.AsSpan(0, count)))
                        {
                            for (var i = 0; i < count; i++) await _transport.SendAsync(datagrams[i], _stop.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        for (var i = 0; i < count; i++)
                        {
                            ReturnPacketBuffer(packets[i].Buffer);
                            packets[i] = default;
                            datagrams[i] = default;
                        }
                        count = 0;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_gate) FailLocked(new SctpException("The transport failed to send: " + ex.Message, ex));
            RunNotifications();
        }
        finally
        {
            while (reader.TryRead(out var left)) ReturnPacketBuffer(left.Buffer);
        }
    }

    private void DrainDeliveries()
    {
        lock (_gate)
        {
            if (_deliveries.Count == 0) return;
            _deliveriesDraining.AddRange(_deliveries);
            _deliveries.Clear();
        }
        // Only the receive loop drains deliveries, so messages and resets keep their order.
        foreach (var d in _deliveriesDraining)
        {
            if (d.Message is { } message)
            {
                var handler = MessageReceived;
                if (handler is null)
                {
                    message.Dispose();
                    continue;
                }
                try
                {
                    handler(message);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A faulty handler must not kill the association.
                    message.Dispose();
                }
            }
            else
            {
                IncomingStreamReset?.Invoke(this, d.StreamId);
            }
        }
        _deliveriesDraining.Clear();
    }

    private void RunNotifications()
    {
        lock (_notifyGate)
        {
            lock (_gate)
            {
                if (_notifications.Count == 0) return;
                _notificationsDraining.AddRange(_notifications);
                _notifications.Clear();
            }
            foreach (var n in _notificationsDraining)
            {
                switch (n.Kind)
                {
                    case NotificationKind.BufferedAmountDecreased:
                        BufferedAmountDecreased?.Invoke(this, n.StreamId);
                        break;
                    case NotificationKind.OutgoingStreamReset:
                        OutgoingStreamReset?.Invoke(this, n.StreamId);
                        break;
                    case NotificationKind.Closed:
                        Closed?.Invoke(this, n.Error);
                        break;
                }
            }
            _notificationsDraining.Clear();
        }
    }

    // ---------------------------------------------------------------- packet output

    private Span<byte> Reserve(int chunkLength, uint tag)
    {
        if (_packet is not null && (_packetLength + chunkLength > _mtu || _packetTag != tag)) FlushPacket();
        if (_packet is null)
        {
            _packet = RentPacketBuffer(SctpPacket.HeaderLength + chunkLength);
            SctpPacket.WriteHeader(_packet, _options.LocalPort, _options.RemotePort, tag);
            _packetLength = SctpPacket.HeaderLength;
            _packetTag = tag;
        }
        return _packet.AsSpan(_packetLength);
    }

    private Span<byte> Reserve(int chunkLength) => Reserve(chunkLength, _peerTag);

    private int RoomInPacket => _packet is null ? _mtu - SctpPacket.HeaderLength : _mtu - _packetLength;

    private void FlushPacket()
    {
        if (_packet is null) return;
        var packet = _packet.AsSpan(0, _packetLength);
        // Zero checksum only for the established association's own packets: never with INIT (tag 0) or COOKIE-ECHO.
        if (_sendZeroChecksum && !_packetNeedsChecksum && _packetTag != 0 && _packetTag == _peerTag) _stats.ZeroChecksumPacketsSent++;
        else SctpPacket.WriteChecksum(packet);
        _packetNeedsChecksum = false;
        _stats.PacketsSent++;
        if (!_sendQueue.Writer.TryWrite(new OutgoingPacket(_packet, _packetLength))) ReturnPacketBuffer(_packet);
        _packet = null;
        _packetLength = 0;
    }

    private byte[] RentPacketBuffer(int minimum)
    {
        if (minimum > _mtu) return ArrayPool<byte>.Shared.Rent(minimum);
        lock (_packetPoolGate)
        {
            if (_packetBuffers.Count > 0) return _packetBuffers.Pop();
        }
        return new byte[_mtu];
    }

    private void ReturnPacketBuffer(byte[] buffer)
    {
        if (buffer.Length != _mtu)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        lock (_packetPoolGate)
        {
            if (_packetBuffers.Count < 1024) _packetBuffers.Push(buffer);
        }
    }

    private byte[] RentChunkBuffer() => _chunkBuffers.Count > 0 ? _chunkBuffers.Pop() : new byte[_maxDataPayload];

    private void ReturnChunkBuffer(byte[] buffer)
    {
        if (buffer.Length == _maxDataPayload && _chunkBuffers.Count < (_options.MaxSendBuffer / _maxDataPayload) + 64) _chunkBuffers.Push(buffer);
    }

    private void Notify(NotificationKind kind, ushort streamId = 0, Exception? error = null) =>
        _notifications.Add(new Notification(kind, streamId, error));

    private readonly record struct OutgoingPacket(byte[] Buffer, int Length);

    private readonly record struct Delivery(SctpMessage? Message, ushort StreamId);

    private enum NotificationKind
    {
        BufferedAmountDecreased,
        OutgoingStreamReset,
        Closed,
    }

    private readonly record struct Notification(NotificationKind Kind, ushort StreamId, Exception? Error);
}

/// <summary>Counters of an association, for diagnostics.</summary>
public struct SctpStatistics
{
    /// <summary>Packets handed to the transport.</summary>
    public long PacketsSent { get; internal set; }
    /// <summary>Packets received with a valid checksum and tag.</summary>
    public long PacketsReceived { get; internal set; }
    /// <summary>Packets sent with a zero checksum (RFC 9653) instead of the CRC32c.</summary>
    public long ZeroChecksumPacketsSent { get; internal set; }
    /// <summary>Packets received with a zero checksum, accepted because we offered zero checksums.</summary>
    public long ZeroChecksumPacketsReceived { get; internal set; }
    /// <summary>Packets dropped for a bad checksum, tag or format.</summary>
    public long PacketsDropped { get; internal set; }
    /// <summary>DATA chunks sent for the first time.</summary>
    public long DataChunksSent { get; internal set; }
    /// <summary>DATA chunks retransmitted.</summary>
    public long DataChunksRetransmitted { get; internal set; }
    /// <summary>DATA chunks received (duplicates included).</summary>
    public long DataChunksReceived { get; internal set; }
    /// <summary>Duplicate DATA chunks received.</summary>
    public long DuplicateChunksReceived { get; internal set; }
    /// <summary>Fast retransmit events.</summary>
    public long FastRetransmits { get; internal set; }
    /// <summary>Retransmission timer expiries.</summary>
    public long RetransmissionTimeouts { get; internal set; }
    /// <summary>DATA chunks dropped unacknowledged because <see cref="SctpOptions.MaxReassemblyBytes"/> were already waiting for reassembly.</summary>
    public long ChunksDroppedForReassemblyLimit { get; internal set; }
    /// <summary>Messages given up (partial reliability).</summary>
    public long MessagesAbandoned { get; internal set; }
    /// <summary>Messages delivered to the application.</summary>
    public long MessagesDelivered { get; internal set; }
    /// <summary>SACKs sent.</summary>
    public long SacksSent { get; internal set; }
    /// <summary>Current congestion window, bytes.</summary>
    public long CongestionWindow { get; internal set; }
    /// <summary>Current slow start threshold, bytes.</summary>
    public long SlowStartThreshold { get; internal set; }
    /// <summary>The peer's receive window as last known, minus the bytes in flight.</summary>
    public long PeerReceiveWindow { get; internal set; }
    /// <summary>Bytes in flight.</summary>
    public long FlightSize { get; internal set; }
    /// <summary>Bytes queued or in flight, not yet acknowledged.</summary>
    public long BufferedAmount { get; internal set; }
    /// <summary>Smoothed round-trip time, when measured.</summary>
    public TimeSpan? SmoothedRtt { get; internal set; }
    /// <summary>Current retransmission timeout.</summary>
    public TimeSpan RetransmissionTimeout { get; internal set; }
}
