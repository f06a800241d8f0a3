using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap.FastPath;

/// <summary>
/// A WebSocket tracker peer read and written directly on the connection's pipes (RFC 6455 server side, no extensions):
/// masked client frames are unmasked into a per-thread buffer and handed to the tracker; replies and relayed messages
/// are framed straight into the output pipe, or queued (bounded) while a flush waits on a slow peer. An idle peer holds
/// no buffer of its own.
/// </summary>
internal sealed class PipeWebSocketPeer : TrackerPeer
{
    private const byte OpContinuation = 0, OpText = 1, OpBinary = 2, OpClose = 8, OpPing = 9, OpPong = 10;
    private readonly ConnectionContext _connection;
    private readonly PipeWriter _output;
    private readonly TrackerConnectionHandler.IdleClock _clock;
    private Queue<OutgoingMessage>? _queue;
    private TaskCompletionSource? _drained;
    private bool _flushing;
    private bool _closed;
    private byte[]? _fragments;
    private int _fragmentLength;

    [ThreadStatic]
    private static byte[]? t_message;

    public PipeWebSocketPeer(WebTorrentTracker tracker, ConnectionContext connection, TrackerConnectionHandler.IdleClock clock, AddressKey source)
        : base(tracker, source)
    {
        _connection = connection;
        _output = connection.Transport.Output;
        _clock = clock;
    }

    public override void Abort() => _connection.Abort(new ConnectionAbortedException("WebSocket peer dropped"));

    public override bool TrySend(ReadOnlySpan<byte> message)
    {
        lock (Gate)
        {
            if (_closed) return false;
            if (!_flushing)
            {
                WriteFrameLocked(0x80 | OpText, message);
                StartFlushLocked();
                return true;
            }
        }
        return TrySend(OutgoingMessage.CopyOf(message));
    }

    public override bool TrySend(OutgoingMessage message)
    {
        lock (Gate)
        {
            if (_closed)
            {
                message.Return();
                return false;
            }
            if (!_flushing)
            {
                WriteFrameLocked(0x80 | OpText, message.Memory.Span);
                message.Return();
                StartFlushLocked();
                return true;
            }
            _queue ??= new Queue<OutgoingMessage>();
            if (_queue.Count < Tracker.Options.MaxQueuedMessagesPerConnection)
            {
                _queue.Enqueue(message);
                return true;
            }
            _closed = true;
        }
        message.Return();
        Interlocked.Increment(ref Tracker.Counters.DroppedConnections);
        Abort();
        return false;
    }

    private void WriteFrameLocked(int first, ReadOnlySpan<byte> payload)
    {
        var span = _output.GetSpan(payload.Length + 10);
        span[0] = (byte)first;
        int header;
        if (payload.Length < 126)
        {
            span[1] = (byte)payload.Length;
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            span[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            span[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(span[2..], (ulong)payload.Length);
            header = 10;
        }
        payload.CopyTo(span[header..]);
        _output.Advance(header + payload.Length);
    }

    private void StartFlushLocked()
    {
        var flush = _output.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            if (flush.Result.IsCompleted) _closed = true;
            return;
        }
        _flushing = true;
        _ = CompleteFlushAsync(flush);
    }

    /// <summary>Waits for a flush a slow peer held up, then writes what queued meanwhile, until the queue is empty.</summary>
    private async Task CompleteFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            while (true)
            {
                var result = await flush;
                lock (Gate)
                {
                    if (result.IsCompleted || result.IsCanceled || _queue is null || _queue.Count == 0)
                    {
                        if (result.IsCompleted || result.IsCanceled) CloseLocked();
                        _flushing = false;
                        _drained?.TrySetResult();
                        return;
                    }
                    while (_queue.TryDequeue(out var message))
                    {
                        WriteFrameLocked(0x80 | OpText, message.Memory.Span);
                        message.Return();
                    }
                    flush = _output.FlushAsync();
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException)
        {
            lock (Gate)
            {
                CloseLocked();
                _flushing = false;
                _drained?.TrySetResult();
            }
            Abort();
        }
    }

    private void CloseLocked()
    {
        _closed = true;
        while (_queue?.TryDequeue(out var left) == true) left.Return();
    }

    /// <summary>Reads frames until the peer closes, breaks the protocol or a limit; then leaves every swarm.</summary>
    public async Task RunAsync()
    {
        Interlocked.Increment(ref Tracker.Counters.WebSocketConnections);
        var input = _connection.Transport.Input;
        ushort? closeStatus = null;
        try
        {
            while (closeStatus is null)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                while (closeStatus is null && TryReadFrame(ref buffer, out closeStatus))
                {
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException)
        {
        }
        finally
        {
            if (_fragments is not null) ArrayPool<byte>.Shared.Return(_fragments);
            _fragments = null;
            LeaveAllSwarms();
            TaskCompletionSource? drained = null;
            lock (Gate)
            {
                if (closeStatus is { } status && !_closed)
                {
                    var code = new byte[2];
                    BinaryPrimitives.WriteUInt16BigEndian(code, status);
                    // While a flush waits on a slow peer its queued replies go out first and the close frame is skipped.
                    if (!_flushing)
                    {
                        WriteFrameLocked(0x80 | OpClose, code);
                        StartFlushLocked();
                    }
                }
                _closed = true;
                if (_flushing) drained = _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            if (drained is not null)
                await drained.Task.WaitAsync(TimeSpan.FromSeconds(2), Tracker.Options.TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Interlocked.Decrement(ref Tracker.Counters.WebSocketConnections);
        }
    }

    /// <summary>Handles one whole frame at the start of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ushort? closeStatus)
    {
        closeStatus = null;
        if (buffer.Length < 2) return false;
        Span<byte> head = stackalloc byte[14];
        var available = (int)Math.Min(14, buffer.Length);
        buffer.Slice(0, available).CopyTo(head);
        var fin = (head[0] & 0x80) != 0;
        var opcode = (byte)(head[0] & 0x0F);
        if ((head[0] & 0x70) != 0 || (head[1] & 0x80) == 0)
        {
            closeStatus = 1002; // reserved bits without an extension, or an unmasked client frame
            return true;
        }
        long length = head[1] & 0x7F;
        var at = 2;
        if (length == 126)
        {
            if (available < 4) return false;
            length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
            at = 4;
        }
        else if (length == 127)
        {
            if (available < 10) return false;
            var big = BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
            length = big > int.MaxValue ? int.MaxValue : (long)big;
            at = 10;
        }
        var isControl = opcode >= OpClose;
        if (isControl && (length > 125 || !fin))
        {
            closeStatus = 1002;
            return true;
        }
        if (!isControl && _fragmentLength + length > Tracker.Options.MaxMessageSize)
        {
            closeStatus = 1009; // message too big: refused before buffering it
            return true;
        }
        if (available < at + 4) return false;
        var mask = MemoryMarshal.Read<uint>(head[at..]);
        at += 4;
        if (buffer.Length < at + length) return false;
        var payload = buffer.Slice(at, length);
        buffer = buffer.Slice(at + length);
        _clock.LastActivity = Tracker.Now;

        switch (opcode)
        {
            case OpClose:
            {
                Span<byte> body = stackalloc byte[125];
                var closing = Unmask(payload, mask, body);
                closeStatus = closing.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(closing) : (ushort)1000;
                if (closeStatus is < 1000 or 1004 or 1005 or 1006 or (> 1011 and < 3000) or > 4999) closeStatus = 1002;
                return true;
            }
            case OpPing:
            {
                Span<byte> body = stackalloc byte[125];
                var ping = Unmask(payload, mask, body);
                lock (Gate)
                {
                    if (!_closed && !_flushing)
                    {
                        WriteFrameLocked(0x80 | OpPong, ping);
                        StartFlushLocked();
                    }
                }
                return true;
            }
            case OpPong:
                return true;
            case OpText or OpBinary or OpContinuation:
                break;
            default:
                closeStatus = 1002;
                return true;
        }

        if ((opcode == OpContinuation) != (_fragments is not null))
        {
            closeStatus = 1002; // a continuation without a start, or a new message inside a fragmented one
            return true;
        }
        if (fin && _fragments is null)
        {
            var message = t_message is { } m && m.Length >= length ? m : t_message = new byte[Math.Max((int)length, 4096)];
            if (!HandleMessage(Unmask(payload, mask, message)))
            {
                closeStatus = 1008;
            }
            return true;
        }
        // Fragmented: gather the pieces (bounded by MaxMessageSize above) in a pooled buffer.
        _fragments ??= ArrayPool<byte>.Shared.Rent(Math.Min(Tracker.Options.MaxMessageSize, 4096));
        if (_fragmentLength + length > _fragments.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Tracker.Options.MaxMessageSize, Math.Max(_fragments.Length * 2L, _fragmentLength + length)));
            _fragments.AsSpan(0, _fragmentLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_fragments);
            _fragments = larger;
        }
        // The mask restarts with each frame: unmask this frame's payload alone.
        Unmask(payload, mask, _fragments.AsSpan(_fragmentLength));
        _fragmentLength += (int)length;
        if (fin)
        {
            var whole = _fragments;
            var wholeLength = _fragmentLength;
            _fragments = null;
            _fragmentLength = 0;
            try
            {
                if (!HandleMessage(whole.AsSpan(0, wholeLength))) closeStatus = 1008;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(whole);
            }
        }
        return true;
    }

    private bool HandleMessage(ReadOnlySpan<byte> message)
    {
        if (Tracker.HandleWebSocketMessage(this, message)) return true;
        Interlocked.Increment(ref Tracker.Counters.DroppedConnections);
        return false;
    }

    /// <summary>Copies <paramref name="payload"/> into <paramref name="destination"/> and removes the client's mask.</summary>
    private static Span<byte> Unmask(ReadOnlySequence<byte> payload, uint mask, Span<byte> destination)
    {
        var length = (int)payload.Length;
        var bytes = destination[..length];
        payload.CopyTo(bytes);
        var wide = ((ulong)mask << 32) | mask;
        var i = 0;
        var longs = MemoryMarshal.Cast<byte, ulong>(bytes);
        for (; i < longs.Length; i++) longs[i] ^= wide;
        i *= 8;
        Span<byte> key = stackalloc byte[4];
        MemoryMarshal.Write(key, in mask);
        for (; i < length; i++) bytes[i] ^= key[i & 3];
        return bytes;
    }
}
