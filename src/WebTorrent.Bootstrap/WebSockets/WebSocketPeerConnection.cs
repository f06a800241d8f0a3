using System.Buffers;
using System.Net.WebSockets;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>
/// One WebSocket peer: a receive loop that hands each message to the <see cref="WebTorrentTracker"/>, and sends that go
/// straight to the socket when it is idle or wait in a small bounded queue while a send is in progress. A peer that cannot
/// keep up (queue full) is disconnected rather than buffered without limit.
/// </summary>
/// <remarks>
/// Per-peer memory is kept small for trackers holding tens of thousands of idle peers: no receive buffer while idle (a
/// zero-byte read waits for the next frame), no send task, channel or cancellation source per peer, the queue allocated
/// only when a send has to wait, and the parsed request reused per thread rather than held per connection.
/// </remarks>
internal sealed class WebSocketPeerConnection : ISignalingEndpoint
{
    private const int InitialReceiveBuffer = 2048;
    private readonly WebSocket _socket;
    private readonly WebTorrentTracker _tracker;
    private readonly Lock _gate = new();
    private Queue<OutgoingMessage>? _queue;
    private List<(Swarm Swarm, Id20 PeerId)>? _memberships;
    private TaskCompletionSource? _drained;
    private bool _sending;
    private bool _closed;
    private double _tokens;
    private long _lastRefill;

    public WebSocketPeerConnection(WebSocket socket, WebTorrentTracker tracker)
    {
        _socket = socket;
        _tracker = tracker;
        _tokens = tracker.Options.MessageBurst;
        _lastRefill = tracker.Options.TimeProvider.GetTimestamp();
    }

    /// <summary>Malformed messages seen so far.</summary>
    public int Errors { get; set; }

    /// <summary>Sends <paramref name="message"/> now if no send is in progress, else queues it; false (and the buffer returned) when closed or over the queue limit.</summary>
    public bool TrySend(OutgoingMessage message)
    {
        var overflow = false;
        lock (_gate)
        {
            if (_closed)
            {
                message.Return();
                return false;
            }
            if (!_sending)
            {
                _sending = true;
            }
            else if ((_queue ??= new Queue<OutgoingMessage>()).Count < _tracker.Options.MaxQueuedMessagesPerConnection)
            {
                _queue.Enqueue(message); // the running drain sends it
                return true;
            }
            else
            {
                _closed = true;
                overflow = true;
            }
        }
        if (overflow)
        {
            message.Return();
            Interlocked.Increment(ref _tracker.Counters.DroppedConnections);
            Abort();
            return false;
        }
        _ = DrainAsync(message);
        return true;
    }

    /// <summary>Sends <paramref name="first"/> then whatever queued meanwhile; completes synchronously when the socket takes every send at once.</summary>
    private async Task DrainAsync(OutgoingMessage first)
    {
        var message = first;
        try
        {
            while (true)
            {
                try
                {
                    await _socket.SendAsync(message.Memory, WebSocketMessageType.Text, true, CancellationToken.None);
                }
                finally
                {
                    message.Return();
                }
                lock (_gate)
                {
                    if (_queue is null || !_queue.TryDequeue(out message))
                    {
                        _sending = false;
                        _drained?.TrySetResult();
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            lock (_gate)
            {
                _sending = false;
                _closed = true;
                while (_queue?.TryDequeue(out var left) == true) left.Return();
                _drained?.TrySetResult();
            }
            _socket.Abort();
        }
    }

    /// <summary>Records that this socket announced as <paramref name="peerId"/> in <paramref name="swarm"/>, so closing removes it.</summary>
    public bool TryAddMembership(Swarm swarm, Id20 peerId)
    {
        lock (_gate)
        {
            _memberships ??= new List<(Swarm, Id20)>(1);
            foreach (var (s, p) in _memberships) if (s == swarm && p == peerId) return true;
            if (_memberships.Count >= _tracker.Options.MaxSwarmsPerConnection) return false;
            _memberships.Add((swarm, peerId));
            return true;
        }
    }

    public void RemoveMembership(Swarm swarm, Id20 peerId)
    {
        lock (_gate) _memberships?.Remove((swarm, peerId));
    }

    /// <summary>Token bucket: false when the peer sends faster than the configured rate.</summary>
    public bool TryConsumeRateToken()
    {
        var time = _tracker.Options.TimeProvider;
        var now = time.GetTimestamp();
        _tokens = Math.Min(_tracker.Options.MessageBurst, _tokens + (now - _lastRefill) * _tracker.Options.MessagesPerSecond / time.TimestampFrequency);
        _lastRefill = now;
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }

    public void Abort() => _socket.Abort();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _tracker.Counters.WebSocketConnections);
        // One registration for the connection's life instead of a cancellable receive per message.
        using var registration = cancellationToken.UnsafeRegister(static state => ((WebSocketPeerConnection)state!).Abort(), this);
        var maxSize = _tracker.Options.MaxMessageSize;
        byte[]? buffer = null;
        WebSocketCloseStatus? closeStatus = null;
        string? closeDescription = null;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                // Idle peers hold no receive buffer: a zero-byte read returns once the next frame's header arrived.
                var result = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, maxSize));
                var length = 0;
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= maxSize)
                        {
                            (closeStatus, closeDescription) = (WebSocketCloseStatus.MessageTooBig, "message too big");
                            return;
                        }
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxSize));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxSize) - length), CancellationToken.None);
                    length += result.Count;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closeStatus = WebSocketCloseStatus.NormalClosure;
                    return;
                }
                var keep = _tracker.HandleWebSocketMessage(this, buffer.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
                if (!keep)
                {
                    Interlocked.Increment(ref _tracker.Counters.DroppedConnections);
                    (closeStatus, closeDescription) = (WebSocketCloseStatus.PolicyViolation, "limit exceeded");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            LeaveAllSwarms();
            TaskCompletionSource? drained = null;
            lock (_gate)
            {
                _closed = true;
                if (_sending) drained = _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            if (closeStatus is { } status)
            {
                // Let queued replies (the failure reason) go out before the close frame, but never wait long.
                if (drained is not null)
                    await drained.Task.WaitAsync(TimeSpan.FromSeconds(2), _tracker.Options.TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await CloseAsync(status, closeDescription);
            }
            bool stillSending;
            lock (_gate) stillSending = _sending;
            if (stillSending) _socket.Abort(); // the failing send returns what is left in the queue
            Interlocked.Decrement(ref _tracker.Counters.WebSocketConnections);
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived) await _socket.CloseOutputAsync(status, description, timeout.Token);
            if (_socket.State == WebSocketState.CloseSent)
            {
                // Wait for the peer's close frame so it sees a clean close rather than a reset.
                var drain = new byte[256];
                while ((await _socket.ReceiveAsync(drain.AsMemory(), timeout.Token)).MessageType != WebSocketMessageType.Close)
                {
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private void LeaveAllSwarms()
    {
        (Swarm, Id20)[] memberships;
        lock (_gate)
        {
            if (_memberships is null) return;
            memberships = _memberships.ToArray();
            _memberships.Clear();
        }
        foreach (var (swarm, peerId) in memberships) swarm.RemoveWebSocketPeer(peerId, this);
    }
}
