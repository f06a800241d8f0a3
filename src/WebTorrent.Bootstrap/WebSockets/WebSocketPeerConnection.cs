using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>
/// One WebSocket peer: a receive loop that hands each message to the <see cref="WebTorrentTracker"/>, and a send loop
/// draining a bounded queue. A peer that cannot keep up (queue full) is disconnected rather than buffered without limit.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync disposes _closing when the connection ends.")]
internal sealed class WebSocketPeerConnection : ISignalingEndpoint
{
    private const int InitialReceiveBuffer = 2048;
    private readonly WebSocket _socket;
    private readonly WebTorrentTracker _tracker;
    private readonly Channel<OutgoingMessage> _outgoing;
    private readonly CancellationTokenSource _closing = new();
    private readonly List<(Swarm Swarm, Id20 PeerId)> _memberships = new();
    private readonly Lock _membershipGate = new();
    private double _tokens;
    private long _lastRefill;

    public WebSocketPeerConnection(WebSocket socket, WebTorrentTracker tracker)
    {
        _socket = socket;
        _tracker = tracker;
        _outgoing = Channel.CreateBounded<OutgoingMessage>(new BoundedChannelOptions(tracker.Options.MaxQueuedMessagesPerConnection)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
        });
        _tokens = tracker.Options.MessageBurst;
        _lastRefill = tracker.Options.TimeProvider.GetTimestamp();
        Request = new WebSocketRequest(tracker.Options.MaxOffersPerAnnounce, tracker.Options.MaxScrapeInfoHashes);
    }

    /// <summary>The parse target reused for every message of this connection (the receive loop is single-threaded).</summary>
    public WebSocketRequest Request { get; }

    /// <summary>Malformed messages seen so far.</summary>
    public int Errors { get; set; }

    public bool TrySend(OutgoingMessage message)
    {
        if (_outgoing.Writer.TryWrite(message)) return true;
        message.Return();
        if (!_closing.IsCancellationRequested)
        {
            Interlocked.Increment(ref _tracker.Counters.DroppedConnections);
            Abort();
        }
        return false;
    }

    /// <summary>Records that this socket announced as <paramref name="peerId"/> in <paramref name="swarm"/>, so closing removes it.</summary>
    public bool TryAddMembership(Swarm swarm, Id20 peerId)
    {
        lock (_membershipGate)
        {
            foreach (var (s, p) in _memberships) if (s == swarm && p == peerId) return true;
            if (_memberships.Count >= _tracker.Options.MaxSwarmsPerConnection) return false;
            _memberships.Add((swarm, peerId));
            return true;
        }
    }

    public void RemoveMembership(Swarm swarm, Id20 peerId)
    {
        lock (_membershipGate) _memberships.Remove((swarm, peerId));
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

    public void Abort()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Abort();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _tracker.Counters.WebSocketConnections);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var sending = SendLoopAsync(linked.Token);
        var maxSize = _tracker.Options.MaxMessageSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, maxSize));
        WebSocketCloseStatus? closeStatus = null;
        string? closeDescription = null;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
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
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxSize) - length), linked.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closeStatus = WebSocketCloseStatus.NormalClosure;
                    return;
                }
                if (!_tracker.HandleWebSocketMessage(this, buffer.AsSpan(0, length)))
                {
                    Interlocked.Increment(ref _tracker.Counters.DroppedConnections);
                    (closeStatus, closeDescription) = (WebSocketCloseStatus.PolicyViolation, "limit exceeded");
                    return;
                }
                if (buffer.Length > InitialReceiveBuffer * 4)
                {
                    // Give back a buffer grown for one large message: idle peers should hold little memory.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, maxSize));
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
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            LeaveAllSwarms();
            _outgoing.Writer.TryComplete();
            if (closeStatus is { } status)
            {
                // Let queued replies (the failure reason) go out before the close frame, but never wait long.
                await sending.WaitAsync(TimeSpan.FromSeconds(2), _tracker.Options.TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await CloseAsync(status, closeDescription);
            }
            try
            {
                await _closing.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
            }
            await sending;
            while (_outgoing.Reader.TryRead(out var left)) left.Return();
            Interlocked.Decrement(ref _tracker.Counters.WebSocketConnections);
            _closing.Dispose();
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
        lock (_membershipGate)
        {
            memberships = _memberships.ToArray();
            _memberships.Clear();
        }
        foreach (var (swarm, peerId) in memberships) swarm.RemoveWebSocketPeer(peerId, this);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_outgoing.Reader.TryRead(out var message))
                {
                    try
                    {
                        await _socket.SendAsync(message.Memory, WebSocketMessageType.Text, true, cancellationToken);
                    }
                    finally
                    {
                        message.Return();
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }
}
