using System.Buffers;

namespace WebTorrent.Protocol;

public sealed partial class PeerWire
{
    private delegate void WriteAction<TState>(IBufferWriter<byte> output, in TState state);

    /// <summary>Chokes the peer. Its queued requests are dropped (BEP 3) or rejected one by one (BEP 6).</summary>
    public async ValueTask SendChokeAsync(CancellationToken cancellationToken = default)
    {
        List<BlockRequest> dropped;
        lock (_gate)
        {
            AmChoking = true;
            var keep = FastExtensionEnabled ? _grantedFast : [];
            dropped = [.. _incoming.Where(r => !keep.Contains(r.Index))];
            foreach (var request in dropped) _incoming.Remove(request);
        }
        await SendSimpleAsync(PeerMessageType.Choke, cancellationToken);
        if (FastExtensionEnabled)
        {
            foreach (var request in dropped) await SendBlockMessageAsync(PeerMessageType.Reject, request, cancellationToken);
        }
    }

    /// <summary>Unchokes the peer: it may request blocks.</summary>
    public ValueTask SendUnchokeAsync(CancellationToken cancellationToken = default)
    {
        AmChoking = false;
        return SendSimpleAsync(PeerMessageType.Unchoke, cancellationToken);
    }

    /// <summary>Tells the peer we are interested.</summary>
    public ValueTask SendInterestedAsync(CancellationToken cancellationToken = default)
    {
        AmInterested = true;
        return SendSimpleAsync(PeerMessageType.Interested, cancellationToken);
    }

    /// <summary>Tells the peer we are not interested.</summary>
    public ValueTask SendNotInterestedAsync(CancellationToken cancellationToken = default)
    {
        AmInterested = false;
        return SendSimpleAsync(PeerMessageType.NotInterested, cancellationToken);
    }

    /// <summary>Announces a piece we now have.</summary>
    public ValueTask SendHaveAsync(int index, CancellationToken cancellationToken = default)
    {
        CheckIndex(index);
        return WriteAsync(index, 9, static (IBufferWriter<byte> o, in int i) => PeerMessageWriter.WritePieceIndex(o, PeerMessageType.Have, i), false, cancellationToken);
    }

    /// <summary>Sends our bitfield (right after the handshake). Its size must match the layout when one is known.</summary>
    public ValueTask SendBitfieldAsync(ReadOnlyMemory<byte> bitfield, CancellationToken cancellationToken = default)
    {
        if (Layout is { } layout && bitfield.Length != layout.BitfieldLength)
            throw new ArgumentException($"A bitfield for {layout.PieceCount} pieces is {layout.BitfieldLength} bytes.", nameof(bitfield));
        return WriteAsync(bitfield, 5 + bitfield.Length, static (IBufferWriter<byte> o, in ReadOnlyMemory<byte> b) => PeerMessageWriter.WriteBitfield(o, b.Span), true, cancellationToken);
    }

    /// <summary>Tells the peer we have every piece: have all with the fast extension, else a full bitfield (needs the layout).</summary>
    public ValueTask SendHaveAllAsync(CancellationToken cancellationToken = default)
    {
        if (FastExtensionEnabled) return SendSimpleAsync(PeerMessageType.HaveAll, cancellationToken, announcement: true);
        var layout = Layout ?? throw new InvalidOperationException("Without the fast extension, have all is a bitfield: set the piece layout first.");
        var bits = new byte[layout.BitfieldLength];
        bits.AsSpan().Fill(0xFF);
        if (layout.PieceCount % 8 != 0) bits[^1] = (byte)(0xFF << (8 - (layout.PieceCount % 8)));
        return SendBitfieldAsync(bits, cancellationToken);
    }

    /// <summary>Tells the peer we have no piece: have none with the fast extension, else nothing (but the extended handshake goes out).</summary>
    public ValueTask SendHaveNoneAsync(CancellationToken cancellationToken = default)
    {
        if (FastExtensionEnabled) return SendSimpleAsync(PeerMessageType.HaveNone, cancellationToken, announcement: true);
        return WriteAsync(0, 0, static (IBufferWriter<byte> o, in int _) => { }, true, cancellationToken);
    }

    /// <summary>Sends a keep-alive (the wire sends them by itself when idle).</summary>
    public ValueTask SendKeepAliveAsync(CancellationToken cancellationToken = default) =>
        WriteAsync(0, 4, static (IBufferWriter<byte> o, in int _) => PeerMessageWriter.WriteKeepAlive(o), false, cancellationToken);

    /// <summary>Sends our DHT port (BEP 5).</summary>
    public ValueTask SendPortAsync(ushort port, CancellationToken cancellationToken = default) =>
        WriteAsync(port, 7, static (IBufferWriter<byte> o, in ushort p) => PeerMessageWriter.WritePort(o, p), false, cancellationToken);

    /// <summary>Suggests a piece (BEP 6; ignored without the fast extension).</summary>
    public ValueTask SendSuggestAsync(int index, CancellationToken cancellationToken = default)
    {
        CheckIndex(index);
        if (!FastExtensionEnabled) return ValueTask.CompletedTask;
        return WriteAsync(index, 9, static (IBufferWriter<byte> o, in int i) => PeerMessageWriter.WritePieceIndex(o, PeerMessageType.Suggest, i), false, cancellationToken);
    }

    /// <summary>Allows the peer a piece while choked (BEP 6; ignored without the fast extension): its requests for it are then accepted.</summary>
    public ValueTask SendAllowedFastAsync(int index, CancellationToken cancellationToken = default)
    {
        CheckIndex(index);
        if (!FastExtensionEnabled) return ValueTask.CompletedTask;
        lock (_gate)
        {
            if (_grantedFast.Count >= _options.MaxAllowedFastPieces) throw new InvalidOperationException($"At most {_options.MaxAllowedFastPieces} allowed-fast pieces.");
            _grantedFast.Add(index);
        }
        return WriteAsync(index, 9, static (IBufferWriter<byte> o, in int i) => PeerMessageWriter.WritePieceIndex(o, PeerMessageType.AllowedFast, i), false, cancellationToken);
    }

    /// <summary>
    /// Answers a request with its block. Returns false, sending nothing, when the request is no longer queued
    /// (cancelled by the peer, or dropped by our choke), or when more than <see cref="PeerWireOptions.MaxQueuedSendBytes"/>
    /// already wait to be sent: the request is then rejected (fast extension) or dropped.
    /// </summary>
    public async ValueTask<bool> SendPieceAsync(int index, int begin, ReadOnlyMemory<byte> block, CancellationToken cancellationToken = default)
    {
        var request = new BlockRequest(index, begin, block.Length);
        lock (_gate)
        {
            if (!_incoming.Remove(request)) return false;
        }
        var length = 13 + block.Length;
        if (!TryEnterSendQueue(length))
        {
            if (FastExtensionEnabled) TrySendInBackground(PeerMessageType.Reject, request);
            return false;
        }
        await WriteQueuedAsync((index, begin, block), length, static (IBufferWriter<byte> o, in (int Index, int Begin, ReadOnlyMemory<byte> Block) s) =>
            PeerMessageWriter.WritePiece(o, s.Index, s.Begin, s.Block.Span), false, cancellationToken);
        _uploadSpeed.Add(block.Length);
        return true;
    }

    /// <summary>Rejects a queued request (BEP 6); without the fast extension the request is just forgotten.</summary>
    public ValueTask SendRejectAsync(BlockRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate) _incoming.Remove(request);
        return FastExtensionEnabled ? SendBlockMessageAsync(PeerMessageType.Reject, request, cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Requests a block and waits for it: the block is copied into <paramref name="destination"/>, whose length is the
    /// block length. At most <see cref="PeerWireOptions.MaxOutstandingRequests"/> (and the peer's <c>reqq</c>) are in
    /// flight; further calls wait for a slot. Cancelling sends a cancel.
    /// </summary>
    /// <exception cref="BlockRequestException">Rejected, choked, timed out, or the wire closed.</exception>
    public async ValueTask RequestBlockAsync(int index, int begin, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var request = new BlockRequest(index, begin, destination.Length);
        if (index < 0 || begin < 0 || destination.Length <= 0 || destination.Length > _limits.MaxBlockLength ||
            (Layout is { } layout && !layout.ContainsBlock(index, begin, destination.Length)))
            throw new ArgumentOutOfRangeException(nameof(destination), $"Block ({index}, {begin}, {destination.Length}) is outside the torrent or over the block limit.");
        if (!_running) throw new InvalidOperationException("Complete the handshake first.");
        var slots = GetRequestSlots();
        await slots.WaitAsync(cancellationToken);
        PendingRequest pending;
        try
        {
            lock (_gate)
            {
                if (IsClosed) throw new BlockRequestException(request, BlockRequestFailure.WireClosed, CloseError);
                if (PeerChoking && !(FastExtensionEnabled && _allowedFast.Contains(index)))
                    throw new BlockRequestException(request, BlockRequestFailure.Choked);
                pending = new PendingRequest(destination, _time.GetTimestamp());
                if (!_outgoing.TryAdd(request, pending)) throw new InvalidOperationException($"Block ({index}, {begin}, {destination.Length}) is already requested.");
            }
            try
            {
                await SendBlockMessageAsync(PeerMessageType.Request, request, cancellationToken, deferFlushInBatch: true);
                await pending.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                bool removed;
                lock (_gate) removed = _outgoing.Remove(request);
                if (removed && !IsClosed) RunInBackground(SendBlockMessageAsync(PeerMessageType.Cancel, request, CancellationToken.None));
                throw;
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Starts a batch of requests: until the returned batch is disposed, <see cref="RequestBlockAsync"/> writes its request
    /// without flushing, and disposing the batch sends all of them in one write (one system call instead of one per
    /// 17-byte request). Any other message flushes as usual, batched requests included. Batches may nest; the outermost
    /// dispose flushes.
    /// </summary>
    /// <example>
    /// <code>
    /// using (wire.BatchRequests())
    /// {
    ///     foreach (var block in blocks) pending.Add(wire.RequestBlockAsync(block.Index, block.Begin, block.Buffer).AsTask());
    /// }
    /// await Task.WhenAll(pending);
    /// </code>
    /// </example>
    /// <returns>The batch; dispose it (once) to send the requests.</returns>
    public RequestBatch BatchRequests()
    {
        Interlocked.Increment(ref _requestBatchDepth);
        return new RequestBatch(this);
    }

    /// <summary>Ends a batch: the outermost end flushes whatever batched requests are still in the pipe.</summary>
    internal void EndRequestBatch()
    {
        // Always go through the write lock, even when nothing looked unflushed: a request written under the lock may have
        // seen the batch still open just before this decrement.
        var depth = Interlocked.Decrement(ref _requestBatchDepth);
        if (depth < 0)
        {
            Interlocked.Increment(ref _requestBatchDepth);
            throw new InvalidOperationException("This request batch was already ended (a copy of it was disposed).");
        }
        if (depth == 0) RunInBackground(FlushBatchedRequestsAsync());
    }

    private async ValueTask FlushBatchedRequestsAsync()
    {
        if (IsClosed) return;
        await _writeLock.WaitAsync();
        try
        {
            if (!_requestsUnflushed || IsClosed) return;
            _requestsUnflushed = false;
            var result = await _output.FlushAsync();
            _lastSendProgress = _time.GetTimestamp();
            if (result.IsCompleted) throw new IOException("The remote stopped reading.");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // Nobody awaits this flush: the requests in it would wait forever, so the wire closes instead.
            Shutdown(PeerWireCloseReason.TransportError, ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal ValueTask SendExtendedAsync(byte remoteId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ExtensionProtocolEnabled) throw new InvalidOperationException("The extension protocol was not negotiated.");
        return WriteAsync((remoteId, payload), 6 + payload.Length, static (IBufferWriter<byte> o, in (byte Id, ReadOnlyMemory<byte> Payload) s) =>
            PeerMessageWriter.WriteExtended(o, s.Id, s.Payload.Span), false, cancellationToken);
    }

    /// <summary>
    /// Queues an extension message unless <see cref="PeerWireOptions.MaxQueuedSendBytes"/> are already waiting; false
    /// when it was dropped. The send runs in the background; its failure closes the wire.
    /// </summary>
    internal bool TrySendExtendedInBackground(byte remoteId, ReadOnlyMemory<byte> payload)
    {
        if (!ExtensionProtocolEnabled) throw new InvalidOperationException("The extension protocol was not negotiated.");
        var length = 6 + payload.Length;
        if (!TryEnterSendQueue(length)) return false;
        RunInBackground(WriteQueuedAsync((remoteId, payload), length, static (IBufferWriter<byte> o, in (byte Id, ReadOnlyMemory<byte> Payload) s) =>
            PeerMessageWriter.WriteExtended(o, s.Id, s.Payload.Span), false, CancellationToken.None));
        return true;
    }

    /// <summary>Queues a reject or similar 17-byte answer unless the send queue is full (then it is dropped), in the background.</summary>
    private void TrySendInBackground(PeerMessageType type, BlockRequest request)
    {
        if (!TryEnterSendQueue(17)) return;
        RunInBackground(WriteQueuedAsync((type, request), 17, static (IBufferWriter<byte> o, in (PeerMessageType Type, BlockRequest Request) s) =>
            PeerMessageWriter.WriteBlockRequest(o, s.Type, s.Request.Index, s.Request.Begin, s.Request.Length), false, CancellationToken.None));
    }

    private SemaphoreSlim GetRequestSlots()
    {
        lock (_gate)
        {
            // Sized once, at the first request: by then the peer's extended handshake (and its reqq) has normally arrived.
            return _requestSlots ??= new SemaphoreSlim(Math.Max(1, Math.Min(_options.MaxOutstandingRequests,
                RemoteExtendedHandshake?.RequestQueueLength ?? DefaultRemoteRequestQueue)));
        }
    }

    private void CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (Layout is { } layout) ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, layout.PieceCount);
    }

    private ValueTask SendSimpleAsync(PeerMessageType type, CancellationToken cancellationToken, bool announcement = false) =>
        WriteAsync(type, 5, static (IBufferWriter<byte> o, in PeerMessageType t) => PeerMessageWriter.WriteSimple(o, t), announcement, cancellationToken);

    private ValueTask SendBlockMessageAsync(PeerMessageType type, BlockRequest request, CancellationToken cancellationToken, bool deferFlushInBatch = false) =>
        WriteAsync((type, request), 17, static (IBufferWriter<byte> o, in (PeerMessageType Type, BlockRequest Request) s) =>
            PeerMessageWriter.WriteBlockRequest(o, s.Type, s.Request.Index, s.Request.Begin, s.Request.Length), false, cancellationToken, deferFlushInBatch);

    /// <summary>Queues a message we decided to send: it always goes out, counted in <see cref="QueuedSendBytes"/>.</summary>
    private ValueTask WriteAsync<TState>(TState state, int length, WriteAction<TState> write, bool announcement, CancellationToken cancellationToken, bool deferFlushInBatch = false)
    {
        EnterSendQueue(length);
        return WriteQueuedAsync(state, length, write, announcement, cancellationToken, deferFlushInBatch);
    }

    /// <summary>
    /// Writes a message already counted in the send queue under the write lock and flushes (unless
    /// <paramref name="deferFlushInBatch"/> and a request batch is open: the batch's end flushes), then leaves the queue.
    /// The pending extended handshake goes out before the first message, or just after it when that message is our
    /// bitfield announcement (BEP 3 wants the bitfield first).
    /// </summary>
    private async ValueTask WriteQueuedAsync<TState>(TState state, int length, WriteAction<TState> write, bool announcement, CancellationToken cancellationToken, bool deferFlushInBatch = false)
    {
        try
        {
            await WriteLockedAsync(state, length, write, announcement, deferFlushInBatch, cancellationToken);
        }
        finally
        {
            LeaveSendQueue(length);
        }
    }

    private async ValueTask WriteLockedAsync<TState>(TState state, int length, WriteAction<TState> write, bool announcement, bool deferFlushInBatch, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfClosed();
            byte[]? extendedHandshake = null;
            lock (_gate)
            {
                if (_extendedHandshakePending)
                {
                    _extendedHandshakePending = false;
                    extendedHandshake = BuildExtendedHandshake();
                }
            }
            long written = length;
            if (extendedHandshake is not null && !announcement)
            {
                PeerMessageWriter.WriteExtended(_output, 0, extendedHandshake);
                written += 6 + extendedHandshake.Length;
            }
            write(_output, in state);
            if (extendedHandshake is not null && announcement)
            {
                PeerMessageWriter.WriteExtended(_output, 0, extendedHandshake);
                written += 6 + extendedHandshake.Length;
            }
            Interlocked.Add(ref _bytesSent, written);
            _lastSent = _time.GetTimestamp();
            if (deferFlushInBatch && Volatile.Read(ref _requestBatchDepth) > 0)
            {
                _requestsUnflushed = true;
                return;
            }
            _requestsUnflushed = false;
            var result = await _output.FlushAsync(cancellationToken);
            _lastSendProgress = _time.GetTimestamp();
            if (result.IsCompleted) throw new IOException("The remote stopped reading.");
            if (result.IsCanceled) ThrowIfClosed();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed) throw new IOException($"The wire is closed ({CloseReason}).", CloseError);
    }
}
