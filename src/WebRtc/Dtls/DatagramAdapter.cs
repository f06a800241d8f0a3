using System.Buffers;
using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;
using WebRtc.Transport;

namespace WebRtc.Dtls;

/// <summary>
/// Presents an async <see cref="IDatagramTransport"/> as BouncyCastle's blocking <see cref="DatagramTransport"/>:
/// a pump reads the inner transport into a bounded queue that BouncyCastle's thread takes from with a timeout.
/// </summary>
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

    public DatagramAdapter(IDatagramTransport inner, int capacity)
    {
        _inner = inner;
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
            if (!_queue.TryTake(out item, Math.Max(0, waitMillis), _stop.Token)) return -1;
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

    public void Send(byte[] buf, int off, int len) => SendCore(buf.AsMemory(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            SendCore(rented.AsMemory(0, buffer.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
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
                var copy = ArrayPool<byte>.Shared.Rent(n);
                buffer.AsSpan(0, n).CopyTo(copy);
                if (!_queue.TryAdd((copy, n))) ArrayPool<byte>.Shared.Return(copy);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
        }
        _closed = true;
        _stop.Cancel();
    }
}
