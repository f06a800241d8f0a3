using WebRtc.Sctp;

namespace WebRtc.DataChannels;

/// <summary>
/// The data channels of one SCTP association: allocates stream ids by DTLS role (client even, server
/// odd), runs DCEP (RFC 8832) for in-band channels, routes messages, and closes channels by stream reset.
/// <c>PeerConnection</c> owns one; it can also be used directly over any <see cref="SctpAssociation"/>.
/// </summary>
public sealed class DataChannelSession : IAsyncDisposable
{
    private static readonly byte[] AckMessage = [DcepOpen.AckMessageType];
    private readonly object _gate = new();
    private readonly Dictionary<ushort, DataChannel> _channels = [];
    private readonly List<DataChannel> _waitingForAssociation = [];
    private bool _started, _established, _closed;
    private int _remoteMaxMessageSize;

    /// <summary>Creates a session over <paramref name="association"/>; it takes over the association's message handler.</summary>
    /// <param name="association">The SCTP association (not yet connected, or connected).</param>
    /// <param name="isDtlsClient">Our DTLS role: the client opens channels on even stream ids, the server on odd ones.</param>
    /// <param name="remoteMaxMessageSize">The peer's <c>a=max-message-size</c> (65536 when the SDP has none; 0 means unlimited, capped at 1 GiB here).</param>
    public DataChannelSession(SctpAssociation association, bool isDtlsClient, int remoteMaxMessageSize = 65536)
    {
        ArgumentNullException.ThrowIfNull(association);
        ArgumentOutOfRangeException.ThrowIfNegative(remoteMaxMessageSize);
        Association = association;
        IsDtlsClient = isDtlsClient;
        _remoteMaxMessageSize = remoteMaxMessageSize == 0 ? 1 << 30 : remoteMaxMessageSize;
        association.MessageReceived = OnSctpMessage;
        association.IncomingStreamReset += OnIncomingStreamReset;
        association.OutgoingStreamReset += OnOutgoingStreamReset;
        association.BufferedAmountDecreased += OnBufferedAmountDecreased;
        association.Closed += OnAssociationClosed;
    }

    /// <summary>The association carrying the channels.</summary>
    public SctpAssociation Association { get; }

    /// <summary>True when we are the DTLS client (our channels use even stream ids).</summary>
    public bool IsDtlsClient { get; }

    /// <summary>The peer's largest message, from its <c>a=max-message-size</c>.</summary>
    public int RemoteMaxMessageSize
    {
        get => Volatile.Read(ref _remoteMaxMessageSize);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _remoteMaxMessageSize, value == 0 ? 1 << 30 : value);
        }
    }

    /// <summary>The peer opened a channel (DCEP OPEN received). Raised before any of its messages are delivered.</summary>
    public event EventHandler<DataChannel>? DataChannelOpened;

    /// <summary>The channels not yet closed.</summary>
    public IReadOnlyList<DataChannel> Channels
    {
        get { lock (_gate) return [.. _channels.Values, .. _waitingForAssociation]; }
    }

    /// <summary>
    /// Creates a channel. Before the association is established it waits in <see cref="DataChannelState.Connecting"/>;
    /// afterwards it opens at once (DCEP OPEN sent; ordered data cannot overtake it).
    /// </summary>
    public DataChannel CreateDataChannel(string label, DataChannelOptions? options = null)
    {
        options ??= new DataChannelOptions();
        options.Validate(label);
        DataChannel channel;
        bool openNow;
        lock (_gate)
        {
            if (_closed) throw new InvalidOperationException("The session is closed.");
            if (options.Id is { } requested)
            {
                if (_channels.ContainsKey(requested) || _waitingForAssociation.Any(c => c.Id == requested))
                    throw new ArgumentException($"Stream id {requested} is already in use.", nameof(options));
            }
            var id = options.Id ?? AllocateId();
            channel = new DataChannel(this, id, label, options, acked: options.Negotiated);
            openNow = _established;
            if (openNow) _channels.Add(id, channel);
            else _waitingForAssociation.Add(channel);
        }
        if (openNow) Open(channel);
        return channel;
    }

    /// <summary>Connects the association (if not yet) and opens the channels created before.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("StartAsync was already called.");
            _started = true;
        }
        if (Association.State == SctpAssociationState.Closed) await Association.ConnectAsync(cancellationToken).ConfigureAwait(false);
        List<DataChannel> toOpen;
        lock (_gate)
        {
            _established = true;
            toOpen = [.. _waitingForAssociation];
            _waitingForAssociation.Clear();
            foreach (var c in toOpen) _channels.Add(c.StreamId, c);
        }
        foreach (var channel in toOpen) Open(channel);
    }

    private ushort AllocateId()
    {
        var limit = Association.OutboundStreamCount is > 0 and var n ? n : ushort.MaxValue;
        for (var id = IsDtlsClient ? 0 : 1; id < limit && id < ushort.MaxValue; id += 2)
        {
            var candidate = (ushort)id;
            if (!_channels.ContainsKey(candidate) && !_waitingForAssociation.Any(c => c.Id == candidate)) return candidate;
        }
        throw new InvalidOperationException("Every stream id is in use.");
    }

    /// <summary>Takes over a channel created before the session existed (on a PeerConnection not yet connected).</summary>
    internal void Adopt(DataChannel channel)
    {
        if (channel.State == DataChannelState.Closing)
        {
            channel.SetClosed();
            return;
        }
        bool openNow;
        lock (_gate)
        {
            var requested = channel.Options.Id;
            if (requested is { } r && (_channels.ContainsKey(r) || _waitingForAssociation.Any(c => c.Id == r)))
            {
                requested = null; // a clash among channels created early: only negotiated ones insist
                if (channel.Negotiated)
                {
                    channel.SetClosed();
                    return;
                }
            }
            channel.Attach(this, requested ?? AllocateId());
            openNow = _established;
            if (openNow) _channels.Add(channel.StreamId, channel);
            else _waitingForAssociation.Add(channel);
        }
        if (openNow) Open(channel);
    }

    private void Open(DataChannel channel)
    {
        if (channel.Negotiated)
        {
            channel.SetOpen();
            return;
        }
        var open = DcepOpen.From(channel.Options, channel.Label).Serialize();
        var sending = Association.SendAsync(channel.StreamId, DataChannelPpid.Dcep, open);
        // Data sent right after on the same ordered stream follows the OPEN, so the channel is usable now.
        channel.SetOpen();
        if (!sending.IsCompletedSuccessfully) _ = ObserveAsync(sending, channel);
    }

    private async Task ObserveAsync(ValueTask sending, DataChannel channel)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SctpException or InvalidOperationException or ObjectDisposedException)
        {
            Remove(channel);
            channel.SetClosed();
        }
    }

    internal void RequestReset(DataChannel channel)
    {
        bool known;
        lock (_gate)
        {
            known = channel.Id is { } id && _channels.ContainsKey(id);
            if (!known) _waitingForAssociation.Remove(channel);
        }
        if (!known || !Association.StreamResetSupported || Association.State != SctpAssociationState.Established)
        {
            Remove(channel);
            channel.SetClosed();
            return;
        }
        Association.ResetStream(channel.StreamId);
    }

    private void Remove(DataChannel channel)
    {
        lock (_gate)
        {
            if (channel.Id is { } id && _channels.TryGetValue(id, out var c) && ReferenceEquals(c, channel)) _channels.Remove(id);
        }
    }

    private DataChannel? Find(ushort id)
    {
        lock (_gate) return _channels.GetValueOrDefault(id);
    }

    private void OnSctpMessage(SctpMessage message)
    {
        if (message.PayloadProtocol == DataChannelPpid.Dcep)
        {
            using (message) OnDcep(message);
            return;
        }
        if (Find(message.StreamId) is { } channel) channel.OnMessage(message);
        else message.Dispose(); // no channel on that stream: drop
    }

    private void OnDcep(SctpMessage message)
    {
        var data = message.Data.Span;
        if (data.Length == 0) return;
        if (data[0] == DcepOpen.AckMessageType)
        {
            Find(message.StreamId)?.OnAck();
            return;
        }
        if (!DcepOpen.TryParse(data, out var open)) return;
        // The peer opens channels on the ids of its own DTLS role.
        var peerParity = IsDtlsClient ? 1 : 0;
        if ((message.StreamId & 1) != peerParity) return;
        var options = new DataChannelOptions
        {
            Ordered = open!.Ordered,
            MaxRetransmits = open.MaxRetransmits,
            MaxPacketLifeTime = open.MaxPacketLifeTime,
            Protocol = open.Protocol,
            Priority = open.Priority,
            Id = message.StreamId,
        };
        var channel = new DataChannel(this, message.StreamId, open.Label, options, acked: true);
        lock (_gate)
        {
            if (_closed || !_channels.TryAdd(message.StreamId, channel)) return; // duplicate OPEN: ignore
        }
        var ack = Association.SendAsync(message.StreamId, DataChannelPpid.Dcep, AckMessage);
        if (!ack.IsCompletedSuccessfully) _ = ObserveAsync(ack, channel);
        channel.SetOpen();
        DataChannelOpened?.Invoke(this, channel);
    }

    private void OnIncomingStreamReset(object? sender, ushort id)
    {
        if (Find(id) is not { } channel) return;
        var closed = channel.OnIncomingReset(out var resetOurs);
        if (resetOurs)
        {
            try
            {
                Association.ResetStream(id);
            }
            catch (NotSupportedException)
            {
                closed = true;
            }
        }
        if (closed)
        {
            Remove(channel);
            channel.SetClosed();
        }
    }

    private void OnOutgoingStreamReset(object? sender, ushort id)
    {
        if (Find(id) is not { } channel) return;
        if (channel.OnOutgoingReset())
        {
            Remove(channel);
            channel.SetClosed();
        }
    }

    private void OnBufferedAmountDecreased(object? sender, ushort id) => Find(id)?.OnBufferedAmountDecreased();

    private void OnAssociationClosed(object? sender, Exception? error)
    {
        List<DataChannel> all;
        lock (_gate)
        {
            _closed = true;
            all = [.. _channels.Values, .. _waitingForAssociation];
            _channels.Clear();
            _waitingForAssociation.Clear();
        }
        foreach (var channel in all) channel.SetClosed();
    }

    /// <summary>Closes every channel and the association (gracefully, bounded by a few seconds), then disposes the association.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            if (Association.State == SctpAssociationState.Established) await Association.CloseAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The peer did not finish the shutdown in time: DisposeAsync aborts.
        }
        await Association.DisposeAsync().ConfigureAwait(false);
        OnAssociationClosed(this, null);
    }
}
