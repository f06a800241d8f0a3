using System.Buffers;
using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;
using WebRtc.Transport;

namespace WebRtc.Dtls;

/// <summary>
/// Presents an async <see cref="IDatagramTransport"/> as BouncyCastle's blocking <see cref="DatagramTransport"/>:
/// a pump reads the inner transport into a bounded queue that BouncyCastle's thread takes from with a timeout.
/// </summary>
/// <remarks>
/// It also caps the handshake's retransmission back-off. BouncyCastle doubles its retransmission timer up to a fixed
/// 60 s, so a flight lost a few times in a row stalls the handshake for most of a minute. The adapter keeps a copy of
/// the last flight BouncyCastle sent (the datagrams sent since BouncyCastle last waited for input) and, whenever
/// nothing was sent for <c>maxRetransmitTimeout</c> while BouncyCastle still waits, sends that copy again. The copy is
/// byte for byte the same: records the peer already has are dropped there as replays, the missing ones complete its
/// flight. After the handshake the client stops; the server, whose flight was the last one, repeats it until
/// <see cref="StopRetransmitting"/> (the client's first application record shows it arrived) or a deadline.
/// </remarks>
#pragma warning disable CA1001 // Close() cancels; disposing the token source under BouncyCastle's blocked thread would race.
internal sealed class DatagramAdapter : DatagramTransport
#pragma warning restore CA1001
{
    private const int ReceiveLimit = 65536;
    private readonly IDatagramTransport _inner;
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _queue;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _closed;
    private volatile IDatagramReceiver? _interceptor;

    // Retransmission of the last flight (see remarks). Guarded by _flightGate.
    private readonly object _flightGate = new();
    private readonly List<byte[]> _flight = [];
    private const int MaxFlightDatagrams = 64; // a flight of certificates cut into many datagrams still fits
    private readonly TimeProvider _time;
    private readonly long _maxRetransmitTicks;
    private bool _flightSealed = true, _handshakeDone, _retransmitting;
    private long _lastSent, _retransmitDeadline;

    // Server only, during the handshake: keeps the client's ChangeCipherSpec behind its CertificateVerify.
    private readonly ChangeCipherSpecGate? _changeCipherSpecGate;

    public DatagramAdapter(IDatagramTransport inner, int capacity)
        : this(inner, capacity, Timeout.InfiniteTimeSpan, TimeProvider.System, isServer: false)
    {
    }

    /// <param name="inner">The transport below.</param>
    /// <param name="capacity">Datagrams queued for BouncyCastle before new ones are dropped.</param>
    /// <param name="maxRetransmitTimeout">The longest gap between two sends of a handshake flight; infinite leaves BouncyCastle's schedule alone.</param>
    /// <param name="time">The clock of that gap.</param>
    /// <param name="isServer">True for a DTLS server: the client's ChangeCipherSpec waits for its CertificateVerify (see <see cref="ChangeCipherSpecGate"/>).</param>
    public DatagramAdapter(IDatagramTransport inner, int capacity, TimeSpan maxRetransmitTimeout, TimeProvider time, bool isServer)
    {
        _inner = inner;
        _changeCipherSpecGate = isServer ? new ChangeCipherSpecGate() : null;
        _time = time;
        _retransmitting = maxRetransmitTimeout != Timeout.InfiniteTimeSpan;
        _maxRetransmitTicks = _retransmitting ? (long)(maxRetransmitTimeout.TotalSeconds * time.TimestampFrequency) : long.MaxValue;
        _queue = new BlockingCollection<(byte[], int)>(new ConcurrentQueue<(byte[], int)>(), Math.Max(16, capacity));
        _ = PumpAsync();
    }

    public bool IsClosed => _closed;

    /// <summary>
    /// From now on the pump hands each datagram to <paramref name="interceptor"/> (the post-handshake record layer),
    /// which passes what BouncyCastle must still see back through <see cref="Inject"/>.
    /// </summary>
    public void Intercept(IDatagramReceiver interceptor) => _interceptor = interceptor;

    /// <summary>Queues a datagram (or one record of one) for BouncyCastle; dropped when the queue is full or closed.</summary>
    public void Inject(ReadOnlySpan<byte> datagram)
    {
        if (_closed) return;
        var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(copy);
        try
        {
            if (_queue.TryAdd((copy, datagram.Length))) return;
        }
        catch (InvalidOperationException)
        {
        }
        ArrayPool<byte>.Shared.Return(copy);
    }

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => _inner.MaxDatagramSize;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed && _queue.Count == 0) throw new IOException("The DTLS transport is closed.");
        (byte[] Buffer, int Length) item;
        try
        {
            if (!TakeRetransmitting(out item, Math.Max(0, waitMillis))) return -1;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            throw new IOException("The DTLS transport is closed.", e);
        }
        try
        {
            var n = Math.Min(item.Length, buffer.Length);
            item.Buffer.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(item.Buffer);
        }
    }

    /// <summary>
    /// The handshake finished on our side. The client's last flight was answered, so it stops repeating it; the
    /// server keeps repeating its final flight for at most <paramref name="serverGrace"/>, or until
    /// <see cref="StopRetransmitting"/>.
    /// </summary>
    public void HandshakeCompleted(bool isServer, TimeSpan serverGrace)
    {
        lock (_flightGate)
        {
            _handshakeDone = true;
            if (!isServer || serverGrace <= TimeSpan.Zero) StopRetransmittingLocked();
            else _retransmitDeadline = _time.GetTimestamp() + (long)(serverGrace.TotalSeconds * _time.TimestampFrequency);
        }
    }

    /// <summary>The peer showed it has our last flight: no more repeats.</summary>
    public void StopRetransmitting()
    {
        lock (_flightGate) StopRetransmittingLocked();
    }

    private void StopRetransmittingLocked()
    {
        _retransmitting = false;
        _flight.Clear();
    }

    // Waits up to waitMillis (BouncyCastle's own timer, on the real clock) for a datagram, sending the last flight
    // again each time it is due meanwhile (by the adapter's clock).
    private bool TakeRetransmitting(out (byte[] Buffer, int Length) item, int waitMillis)
    {
        var end = Environment.TickCount64 + waitMillis;
        while (true)
        {
            var slice = (int)Math.Max(0, end - Environment.TickCount64);
            lock (_flightGate)
            {
                _flightSealed = true; // BouncyCastle waits: what it sends next is a new flight (or its own retransmission)
                if (_retransmitting && _flight.Count > 0)
                {
                    var now = _time.GetTimestamp();
                    if (_handshakeDone && now - _retransmitDeadline >= 0)
                    {
                        StopRetransmittingLocked();
                    }
                    else
                    {
                        if (now - _lastSent >= _maxRetransmitTicks) ResendFlightLocked(now);
                        var dueMillis = (_maxRetransmitTicks - (now - _lastSent)) * 1000 / _time.TimestampFrequency;
                        slice = (int)Math.Clamp(dueMillis + 1, 1, Math.Max(1, slice));
                    }
                }
            }
            if (_queue.TryTake(out item, slice, _stop.Token)) return true;
            if (Environment.TickCount64 >= end) return false;
        }
    }

    private void ResendFlightLocked(long now)
    {
        _lastSent = now;
        foreach (var datagram in _flight)
        {
            try
            {
                SendCore(datagram);
            }
            catch (IOException)
            {
                return; // closed: the handshake fails on its own
            }
        }
    }

    public void Send(byte[] buf, int off, int len)
    {
        Remember(buf.AsSpan(off, len));
        SendCore(buf.AsMemory(off, len));
    }

    public void Send(ReadOnlySpan<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            Remember(buffer);
            SendCore(rented.AsMemory(0, buffer.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // A datagram BouncyCastle sends during the handshake belongs to the flight to repeat.
    private void Remember(ReadOnlySpan<byte> datagram)
    {
        lock (_flightGate)
        {
            if (!_retransmitting || _handshakeDone) return;
            if (_flightSealed)
            {
                _flight.Clear();
                _flightSealed = false;
            }
            if (_flight.Count < MaxFlightDatagrams) _flight.Add(datagram.ToArray());
            _lastSent = _time.GetTimestamp();
        }
    }

    private void SendCore(ReadOnlyMemory<byte> datagram)
    {
        if (_closed) throw new IOException("The DTLS transport is closed.");
        try
        {
            var pending = _inner.SendAsync(datagram);
            if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("The transport below DTLS is closed.", e);
        }
        catch (InvalidOperationException)
        {
            // No path yet (ICE still selecting): a lost datagram, which DTLS retransmits.
        }
    }

    public void Close()
    {
        if (_closed) return;
        _closed = true;
        _stop.Cancel();
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[ReceiveLimit];
        try
        {
            while (!_closed)
            {
                var n = await _inner.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                if (_interceptor is { } interceptor)
                {
                    try
                    {
                        interceptor.OnDatagram(buffer.AsSpan(0, n));
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // Dropped, as the wire would; the pump carries on.
                    }
                    continue;
                }
                if (_changeCipherSpecGate is { } gate) gate.Process(buffer.AsSpan(0, n), Inject);
                else Inject(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
        }
        _closed = true;
        _stop.Cancel();
    }
}
