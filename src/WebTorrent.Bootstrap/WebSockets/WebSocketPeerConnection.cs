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
internal sealed class WebSocketPeerConnection : TrackerPeer
{
    private const int InitialReceiveBuffer = 2048;
    private readonly WebSocket _socket;
    private Queue<OutgoingMessage>? _queue;
    private TaskCompletionSource? _drained;
    private bool _sending;
    private bool _closed;

    public WebSocketPeerConnection(WebSocket socket, WebTorrentTracker tracker, AddressKey source)
        : base(tracker, source)
    {
        _socket = socket;
    }

    /// <summary>Sends <paramref name="message"/> now if no send is in progress, else queues it; false (and the buffer returned) when closed or over the queue limit.</summary>
    public override bool TrySend(OutgoingMessage message)
    {
        var overflow = false;
        lock (Gate)
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
            else if ((_queue ??= new Queue<OutgoingMessage>()).Count < Tracker.Options.MaxQueuedMessagesPerConnection)
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
            Interlocked.Increment(ref Tracker.Counters.DroppedConnections);
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
                lock (Gate)
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
            lock (Gate)
            {
                _sending = false;
                _closed = true;
                while (_queue?.TryDequeue(out var left) == true) left.Return();
                _drained?.TrySetResult();
            }
            _socket.Abort();
        }
    }

    public override void Abort() => _socket.Abort();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Tracker.Counters.WebSocketConnections);
        Tracker.WatchIdle(this);
        // One registration for the connection's life instead of a cancellable receive per message.
        using var registration = cancellationToken.UnsafeRegister(static state => ((WebSocketPeerConnection)state!).Abort(), this);
        var maxSize = Tracker.Options.MaxMessageSize;
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
                var keep = Tracker.HandleWebSocketMessage(this, buffer.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
                if (!keep)
                {
                    Interlocked.Increment(ref Tracker.Counters.DroppedConnections);
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
            Tracker.ForgetIdle(this);
            LeaveAllSwarms();
            TaskCompletionSource? drained = null;
            lock (Gate)
            {
                _closed = true;
                if (_sending) drained = _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            if (closeStatus is { } status)
            {
                // Let queued replies (the failure reason) go out before the close frame, but never wait long.
                if (drained is not null)
                    await drained.Task.WaitAsync(TimeSpan.FromSeconds(2), Tracker.Options.TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await CloseAsync(status, closeDescription);
            }
            bool stillSending;
            lock (Gate) stillSending = _sending;
            if (stillSending) _socket.Abort(); // the failing send returns what is left in the queue
            Interlocked.Decrement(ref Tracker.Counters.WebSocketConnections);
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
}
