using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using WebRtc.Sctp;

namespace WebRtc.DataChannels;

/// <summary>
/// A WebRTC data channel (RFC 8831): a pair of SCTP streams with the same id carrying text and binary
/// messages, opened by DCEP (RFC 8832) or negotiated out of band, closed by resetting its streams.
/// Messages arrive through <see cref="MessageReceived"/> when a handler is attached, else through
/// <see cref="ReceiveAsync"/>; <see cref="AsStream"/> and <see cref="AsDuplexPipe"/> make it a byte stream.
/// </summary>
public sealed class DataChannel
{
    private DataChannelSession? _session;
    private readonly Channel<SctpMessage> _inbox = Channel.CreateUnbounded<SctpMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private DataChannelState _state;
    private bool _acked;
    private bool _incomingReset, _outgoingReset;
    private bool _aboveThreshold;
    private long _bufferedAmountLowThreshold;

    internal DataChannel(DataChannelSession? session, ushort? id, string label, DataChannelOptions options, bool acked)
    {
        _session = session;
        Id = id;
        Label = label;
        Options = options;
        _acked = acked;
    }

    /// <summary>
    /// The SCTP stream id (even when the DTLS client opened it, odd for the server); null until the DTLS
    /// role is known for a channel created on a <c>PeerConnection</c> before it connected.
    /// </summary>
    public ushort? Id { get; private set; }

    internal ushort StreamId => Id ?? throw new InvalidOperationException("The data channel has no stream id yet.");

    internal void Attach(DataChannelSession session, ushort id)
    {
        _session = session;
        Id = id;
    }

    /// <summary>The label given when the channel was created.</summary>
    public string Label { get; }

    /// <summary>The sub-protocol name.</summary>
    public string Protocol => Options.Protocol;

    /// <summary>True if messages are delivered in order.</summary>
    public bool Ordered => Options.Ordered;

    /// <summary>Retransmission limit of a partially reliable channel, or null.</summary>
    public int? MaxRetransmits => Options.MaxRetransmits;

    /// <summary>Lifetime limit of a partially reliable channel, or null.</summary>
    public TimeSpan? MaxPacketLifeTime => Options.MaxPacketLifeTime;

    /// <summary>True if negotiated out of band (no DCEP).</summary>
    public bool Negotiated => Options.Negotiated;

    /// <summary>All the options the channel was opened with.</summary>
    public DataChannelOptions Options { get; }

    /// <summary>Current state.</summary>
    public DataChannelState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>Largest message <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> accepts: the peer's <c>a=max-message-size</c>.</summary>
    public int MaxMessageSize => _session?.RemoteMaxMessageSize ?? 65536;

    /// <summary>Bytes sent and not yet acknowledged by the peer.</summary>
    public long BufferedAmount => _session is { } s && Id is { } id ? s.Association.GetBufferedAmount(id) : 0;

    /// <summary>When <see cref="BufferedAmount"/> falls to this value or below, <see cref="BufferedAmountLow"/> fires.</summary>
    public long BufferedAmountLowThreshold
    {
        get => Volatile.Read(ref _bufferedAmountLowThreshold);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _bufferedAmountLowThreshold, value);
        }
    }

    /// <summary>Completes when the channel is open; faults if it closed first.</summary>
    public Task WhenOpen => _opened.Task;

    /// <summary>Completes when the channel is closed.</summary>
    public Task WhenClosed => _closed.Task;

    /// <summary>The channel opened.</summary>
    public event EventHandler? Opened;

    /// <summary>The channel closed (either side closed it, or the association ended).</summary>
    public event EventHandler? Closed;

    /// <summary><see cref="BufferedAmount"/> went from above <see cref="BufferedAmountLowThreshold"/> to at or below it.</summary>
    public event EventHandler? BufferedAmountLow;

    /// <summary>
    /// Receives every message while attached (on the receive loop, in order; the message is valid during
    /// the call only). With no handler, messages queue for <see cref="ReceiveAsync"/>.
    /// </summary>
    public event DataChannelMessageHandler? MessageReceived;

    /// <summary>Sends a binary message. Waits while the association's send buffer is full.</summary>
    /// <exception cref="ArgumentException">The message exceeds <see cref="MaxMessageSize"/>.</exception>
    /// <exception cref="InvalidOperationException">The channel is not open.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        message.IsEmpty
            ? SendCoreAsync(DataChannelPpid.BinaryEmpty, EmptyPayload, cancellationToken)
            : SendCoreAsync(DataChannelPpid.Binary, message, cancellationToken);

    /// <summary>Sends a text message (UTF-8).</summary>
    public ValueTask SendAsync(string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Length == 0
            ? SendCoreAsync(DataChannelPpid.StringEmpty, EmptyPayload, cancellationToken)
            : SendCoreAsync(DataChannelPpid.String, Encoding.UTF8.GetBytes(message), cancellationToken);
    }

    private static readonly byte[] EmptyPayload = [0];

    private async ValueTask SendCoreAsync(uint ppid, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > MaxMessageSize)
            throw new ArgumentException($"The message of {payload.Length} bytes exceeds the peer's maximum of {MaxMessageSize}.", nameof(payload));
        bool unordered;
        DataChannelSession session;
        lock (_gate)
        {
            if (_state != DataChannelState.Open || _session is null) throw new InvalidOperationException($"The data channel is {_state}.");
            session = _session;
            // RFC 8832 6: until the ACK arrives, send ordered so data cannot overtake the OPEN.
            unordered = !Options.Ordered && _acked;
        }
        var options = new SctpSendOptions(unordered, Options.MaxRetransmits, Options.MaxPacketLifeTime);
        try
        {
            await session.Association.SendAsync(StreamId, ppid, payload, options, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (State != DataChannelState.Open)
        {
            throw new InvalidOperationException($"The data channel is {State}.");
        }
        if (BufferedAmount > BufferedAmountLowThreshold) Volatile.Write(ref _aboveThreshold, true);
    }

    /// <summary>
    /// Waits for the next message (when no <see cref="MessageReceived"/> handler is attached). Returns
    /// null once the channel is closed and every message was read. Dispose each message after use.
    /// </summary>
    public async ValueTask<DataChannelMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var message = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return Wrap(message);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Returns a message already received, if any.</summary>
    public bool TryReceive(out DataChannelMessage message)
    {
        if (_inbox.Reader.TryRead(out var m))
        {
            message = Wrap(m);
            return true;
        }
        message = default;
        return false;
    }

    /// <summary>Starts closing: resets the outgoing stream once queued messages are sent; the peer resets its own.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_state is DataChannelState.Closing or DataChannelState.Closed) return;
            if (_session is null)
            {
                _state = DataChannelState.Closing; // closed when its session adopts it
                return;
            }
            _state = DataChannelState.Closing;
        }
        _session!.RequestReset(this);
    }

    /// <summary>Closes and waits until the channel is closed.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Close();
        await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A <see cref="Stream"/> over the channel: writes become binary messages, reads concatenate messages.</summary>
    /// <param name="maxWriteMessageSize">Largest message a write is cut into; null uses min(64 KiB, <see cref="MaxMessageSize"/>).</param>
    /// <param name="closeChannelOnDispose">Close the channel when the stream is disposed.</param>
    public DataChannelStream AsStream(int? maxWriteMessageSize = null, bool closeChannelOnDispose = true) =>
        new(this, maxWriteMessageSize ?? Math.Min(64 * 1024, MaxMessageSize), closeChannelOnDispose);

    /// <summary>An <see cref="IDuplexPipe"/> over the channel, for protocols written against pipelines.</summary>
    public IDuplexPipe AsDuplexPipe(int? maxWriteMessageSize = null)
    {
        var stream = AsStream(maxWriteMessageSize);
        return new StreamDuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
    }

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <inheritdoc/>
    public override string ToString() => $"DataChannel {Id} '{Label}' ({State})";

    private static DataChannelMessage Wrap(SctpMessage message) => new(
        message,
        message.PayloadProtocol is DataChannelPpid.String or DataChannelPpid.StringEmpty or DataChannelPpid.StringPartial,
        message.PayloadProtocol is DataChannelPpid.StringEmpty or DataChannelPpid.BinaryEmpty);

    // ---------------------------------------------------------------- called by the session

    internal void OnMessage(SctpMessage message)
    {
        lock (_gate)
        {
            if (_state == DataChannelState.Closed)
            {
                message.Dispose();
                return;
            }
        }
        var handler = MessageReceived;
        if (handler is null)
        {
            if (!_inbox.Writer.TryWrite(message)) message.Dispose();
            return;
        }
        var wrapped = Wrap(message);
        try
        {
            handler(this, in wrapped);
        }
        finally
        {
            message.Dispose();
        }
    }

    internal void SetOpen()
    {
        lock (_gate)
        {
            if (_state != DataChannelState.Connecting) return;
            _state = DataChannelState.Open;
        }
        _opened.TrySetResult();
        Opened?.Invoke(this, EventArgs.Empty);
    }

    internal void OnAck()
    {
        lock (_gate) _acked = true;
    }

    internal void OnBufferedAmountDecreased()
    {
        if (!Volatile.Read(ref _aboveThreshold)) return;
        if (BufferedAmount > BufferedAmountLowThreshold) return;
        Volatile.Write(ref _aboveThreshold, false);
        BufferedAmountLow?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The peer reset its outgoing stream: reset ours too (if not yet), then the channel is closed.</summary>
    internal bool OnIncomingReset(out bool resetOurs)
    {
        lock (_gate)
        {
            _incomingReset = true;
            resetOurs = !_outgoingReset && _state != DataChannelState.Closing;
            if (_state is DataChannelState.Open or DataChannelState.Connecting) _state = DataChannelState.Closing;
            return _outgoingReset;
        }
    }

    /// <summary>Our outgoing reset was performed; true if the channel is now fully closed.</summary>
    internal bool OnOutgoingReset()
    {
        lock (_gate)
        {
            _outgoingReset = true;
            return _incomingReset;
        }
    }

    internal void SetClosed()
    {
        lock (_gate)
        {
            if (_state == DataChannelState.Closed) return;
            _state = DataChannelState.Closed;
        }
        _inbox.Writer.TryComplete();
        _opened.TrySetException(new InvalidOperationException("The data channel closed before it opened."));
        _opened.Task.Exception?.Handle(static _ => true);
        _closed.TrySetResult();
        Closed?.Invoke(this, EventArgs.Empty);
    }
}
