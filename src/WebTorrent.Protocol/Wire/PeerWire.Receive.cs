using System.Buffers;
using Bencode;

namespace WebTorrent.Protocol;

public sealed partial class PeerWire
{
    private async Task ReadLoopAsync()
    {
        var reason = PeerWireCloseReason.Remote;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closing.Token);
                var buffer = result.Buffer;
                var consumed = ProcessBuffer(buffer);
                var remaining = buffer.Slice(consumed).Length;
                _input.AdvanceTo(consumed, buffer.End);
                if (result.IsCanceled || IsClosed) return;
                if (result.IsCompleted)
                {
                    if (remaining > 0)
                        throw new ProtocolViolationException(ProtocolViolation.Truncated, $"The connection closed in the middle of a message ({remaining} bytes left).");
                    break;
                }
            }
        }
        catch (ProtocolViolationException ex)
        {
            reason = PeerWireCloseReason.ProtocolViolation;
            error = ex;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            reason = PeerWireCloseReason.TransportError;
            error = ex;
        }
#pragma warning disable CA1031 // An event handler or extension threw: close this wire rather than lose its read loop silently.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reason = PeerWireCloseReason.Local;
            error = ex;
        }
        finally
        {
            _input.Complete();
        }
        Shutdown(reason, error);
    }

    private SequencePosition ProcessBuffer(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        var limits = _limits;
        var any = false;
        while (!IsClosed && PeerMessageReader.TryRead(ref reader, out var message, limits))
        {
            any = true;
            Interlocked.Add(ref _bytesReceived, message.WireLength);
            Handle(in message);
            limits = _limits;
        }
        if (any || reader.Consumed > 0) _lastReceived = _time.GetTimestamp();
        // A partial message still counts as activity: a slow peer streaming a big block is not idle.
        if (reader.Remaining > 0) _lastReceived = _time.GetTimestamp();
        return reader.Position;
    }

    private void Handle(in PeerMessage message)
    {
        switch (message.Type)
        {
            case PeerMessageType.KeepAlive:
                break;
            case PeerMessageType.Choke:
                OnChoke();
                break;
            case PeerMessageType.Unchoke:
                PeerChoking = false;
                Unchoked?.Invoke(this, EventArgs.Empty);
                break;
            case PeerMessageType.Interested:
                PeerInterested = true;
                Interested?.Invoke(this, EventArgs.Empty);
                break;
            case PeerMessageType.NotInterested:
                PeerInterested = false;
                NotInterested?.Invoke(this, EventArgs.Empty);
                break;
            case PeerMessageType.Have:
                PeerPieces.Set(message.Index);
                Have?.Invoke(this, message.Index);
                break;
            case PeerMessageType.Bitfield:
                PeerPieces.Load(message.Payload);
                BitfieldReceived?.Invoke(this, EventArgs.Empty);
                break;
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                RequireFast(message.Type);
                PeerPieces.SetAll(message.Type == PeerMessageType.HaveAll);
                BitfieldReceived?.Invoke(this, EventArgs.Empty);
                break;
            case PeerMessageType.Request:
                OnRequest(new BlockRequest(message.Index, message.Begin, message.Length));
                break;
            case PeerMessageType.Cancel:
                {
                    var request = new BlockRequest(message.Index, message.Begin, message.Length);
                    bool removed;
                    lock (_gate) removed = _incoming.Remove(request);
                    if (removed) CancelReceived?.Invoke(this, request);
                    break;
                }
            case PeerMessageType.Piece:
                OnPiece(in message);
                break;
            case PeerMessageType.Port:
                PortReceived?.Invoke(this, message.Port);
                break;
            case PeerMessageType.Suggest:
                RequireFast(message.Type);
                SuggestReceived?.Invoke(this, message.Index);
                break;
            case PeerMessageType.Reject:
                RequireFast(message.Type);
                FailRequest(new BlockRequest(message.Index, message.Begin, message.Length), BlockRequestFailure.Rejected);
                break;
            case PeerMessageType.AllowedFast:
                RequireFast(message.Type);
                lock (_gate)
                {
                    if (_allowedFast.Count < _options.MaxAllowedFastPieces) _allowedFast.Add(message.Index);
                }
                AllowedFastReceived?.Invoke(this, message.Index);
                break;
            case PeerMessageType.Extended:
                OnExtended(message.ExtendedId, message.Payload);
                break;
            default:
                throw new ProtocolViolationException(ProtocolViolation.UnknownMessage, $"Unknown message {message.Type}.");
        }
    }

    private void RequireFast(PeerMessageType type)
    {
        if (!FastExtensionEnabled)
            throw new ProtocolViolationException(ProtocolViolation.UnexpectedMessage, $"{type} without the fast extension negotiated.");
    }

    private void OnChoke()
    {
        PeerChoking = true;
        if (!FastExtensionEnabled)
        {
            // BEP 3: a choke drops every pending request. With BEP 6 the peer rejects them one by one instead.
            List<(BlockRequest, PendingRequest)> dropped;
            lock (_gate)
            {
                dropped = [.. _outgoing.Select(p => (p.Key, p.Value))];
                _outgoing.Clear();
            }
            foreach (var (request, pending) in dropped) pending.Fail(new BlockRequestException(request, BlockRequestFailure.Choked));
        }
        Choked?.Invoke(this, EventArgs.Empty);
    }

    private void OnRequest(BlockRequest request)
    {
        bool accept;
        bool reject;
        lock (_gate)
        {
            var allowed = !AmChoking || (FastExtensionEnabled && _grantedFast.Contains(request.Index));
            // A peer that asks faster than it reads gets rejects rather than our memory.
            accept = allowed && _incoming.Count < _options.MaxQueuedIncomingRequests && SendQueueHasRoomFor(request.Length) && _incoming.Add(request);
            reject = !accept && FastExtensionEnabled;
        }
        if (accept) RequestReceived?.Invoke(this, request);
        else if (reject) TrySendInBackground(PeerMessageType.Reject, request);
    }

    private void OnPiece(in PeerMessage message)
    {
        var request = new BlockRequest(message.Index, message.Begin, message.Length);
        PendingRequest? pending;
        lock (_gate)
        {
            _outgoing.Remove(request, out pending);
        }
        _downloadSpeed.Add(message.Length);
        // A block nobody waits for (cancelled, timed out) is counted and dropped.
        if (pending is null) return;
        message.Payload.CopyTo(pending.Destination.Span);
        pending.Complete();
    }

    private void FailRequest(BlockRequest request, BlockRequestFailure failure)
    {
        PendingRequest? pending;
        lock (_gate) _outgoing.Remove(request, out pending);
        pending?.Fail(new BlockRequestException(request, failure));
    }

    private void OnExtended(byte id, ReadOnlySequence<byte> payload)
    {
        if (!ExtensionProtocolEnabled)
            throw new ProtocolViolationException(ProtocolViolation.UnexpectedMessage, "Extended message without the extension protocol negotiated.");
        if (id == 0)
        {
            var handshake = ExtendedHandshake.Parse(payload, RemoteExtendedHandshake, _extensionNames);
            RemoteExtendedHandshake = handshake;
            foreach (var extension in _extensions) extension.InvokeExtendedHandshake(handshake);
            ExtendedHandshakeReceived?.Invoke(this, handshake);
            return;
        }
        // Ids are our local ones; an id we never offered is ignored, as BEP 10 peers do.
        if (id <= _extensions.Count) _extensions[id - 1].InvokeMessage(payload);
    }

    private byte[] BuildExtendedHandshake()
    {
        var m = new BencodeDictionary();
        foreach (var extension in _extensions) m.Set(new BencodeString(extension.Name), extension.LocalId);
        var handshake = new BencodeDictionary { ["m"] = m, ["reqq"] = _options.MaxQueuedIncomingRequests };
        if (_options.ClientVersion is { } v) handshake["v"] = v;
        if (_options.ListenPort is { } p) handshake["p"] = p;
        foreach (var extension in _extensions) extension.InvokeSendingHandshake(handshake);
        return handshake.ToArray();
    }

    private void Tick()
    {
        if (IsClosed) return;
        if (_time.GetElapsedTime(_lastReceived) >= _options.IdleTimeout)
        {
            Shutdown(PeerWireCloseReason.Timeout, new TimeoutException($"Nothing received for {_options.IdleTimeout}."));
            return;
        }
        if (CloseIfSendStalled()) return;
        List<BlockRequest>? expired = null;
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            foreach (var (request, pending) in _outgoing)
            {
                if (_time.GetElapsedTime(pending.SentAt, now) >= _options.RequestTimeout) (expired ??= []).Add(request);
            }
        }
        if (expired is not null)
        {
            foreach (var request in expired)
            {
                FailRequest(request, BlockRequestFailure.Timeout);
                RunInBackground(SendBlockMessageAsync(PeerMessageType.Cancel, request, CancellationToken.None));
            }
        }
        bool pendingHandshake;
        lock (_gate) pendingHandshake = _extendedHandshakePending;
        // A keep-alive behind a stuck write would only queue up once a second: anything waiting already says we are alive.
        if (QueuedSendBytes > 0) return;
        if (pendingHandshake || _time.GetElapsedTime(_lastSent) >= _options.KeepAliveInterval) RunInBackground(SendKeepAliveAsync());
    }

    private void Shutdown(PeerWireCloseReason reason, Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        CloseReason = reason;
        CloseError = error;
        _timer?.Dispose();
        _closing.Cancel();
        _input.CancelPendingRead();
        _output.CancelPendingFlush();
        List<(BlockRequest, PendingRequest)> pending;
        bool running;
        lock (_gate)
        {
            running = _running;
            pending = [.. _outgoing.Select(p => (p.Key, p.Value))];
            _outgoing.Clear();
            _incoming.Clear();
        }
        foreach (var (request, p) in pending) p.Fail(new BlockRequestException(request, BlockRequestFailure.WireClosed, error));
        _ = Task.Run(() => FinishClosingAsync(running, new PeerWireClosedEventArgs(reason, error)));
    }

    /// <summary>
    /// Completes the transport ends from outside any write in progress (the writer waits for the write lock, which a
    /// cancelled flush releases quickly), tells the extensions and <see cref="Closed"/>, and always completes
    /// <see cref="Completion"/>, whatever a handler throws.
    /// </summary>
    private async Task FinishClosingAsync(bool running, PeerWireClosedEventArgs args)
    {
        try
        {
            if (!running)
            {
                try
                {
                    _input.Complete();
                }
                catch (InvalidOperationException)
                {
                    // A handshake read is still in progress; it ends at the cancelled read.
                }
            }
            await _writeLock.WaitAsync();
            try
            {
                await _output.CompleteAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                // The transport is already gone.
            }
            finally
            {
                _writeLock.Release();
            }
            foreach (var extension in _extensions)
            {
                try
                {
                    extension.InvokeClosed(args);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                {
                    // An extension failing to clean up does not stop the others.
                }
            }
            Closed?.Invoke(this, args);
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    private sealed class PendingRequest(Memory<byte> destination, long sentAt)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Memory<byte> Destination { get; } = destination;
        public long SentAt { get; set; } = sentAt;
        public Task Task => _done.Task;
        public void Complete() => _done.TrySetResult();
        public void Fail(Exception error) => _done.TrySetException(error);
    }
}
