using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace WebRtc.Transport;

/// <summary>
/// The hand-off from a layer's receive loop to its <see cref="IDatagramTransport.ReceiveAsync"/>: a bounded
/// queue of datagrams, each copied into a pooled buffer. When full it drops, as the wire would. Datagrams up to
/// <see cref="SlotSize"/> bytes (every DTLS/SCTP packet) take buffers from the queue's own free list, sized to the
/// queue's capacity, so a burst of a thousand queued datagrams allocates nothing once the list is warm (the shared
/// ArrayPool keeps only a few dozen arrays per size and thread).
/// </summary>
internal sealed class ReceivedDatagramQueue
{
    /// <summary>The buffer size of the queue's own free list.</summary>
    public const int SlotSize = 2048;

    private readonly Channel<(byte[] Buffer, int Length)> _queue;
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly int _capacity;

    public ReceivedDatagramQueue(int capacity)
    {
        _capacity = Math.Max(16, capacity);
        _queue = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
        });
    }

    /// <summary>Copies <paramref name="datagram"/> in; drops it when the queue is full or completed.</summary>
    public void Enqueue(ReadOnlySpan<byte> datagram)
    {
        var copy = Rent(datagram.Length);
        datagram.CopyTo(copy);
        if (!_queue.Writer.TryWrite((copy, datagram.Length))) Return(copy);
    }

    private byte[] Rent(int length)
    {
        if (length > SlotSize) return ArrayPool<byte>.Shared.Rent(length);
        return _free.TryDequeue(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(SlotSize);
    }

    private void Return(byte[] buffer)
    {
        if (buffer.Length != SlotSize) ArrayPool<byte>.Shared.Return(buffer);
        else if (_free.Count < _capacity) _free.Enqueue(buffer);
    }

    /// <summary>Copies the next datagram into <paramref name="buffer"/>; 0 once completed and emptied.</summary>
    public async ValueTask<int> DequeueAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        (byte[] Buffer, int Length) item;
        try
        {
            item = await _queue.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
        try
        {
            if (item.Length > buffer.Length) throw new ArgumentException($"The buffer is smaller than the {item.Length}-byte datagram.", nameof(buffer));
            item.Buffer.AsSpan(0, item.Length).CopyTo(buffer.Span);
            return item.Length;
        }
        finally
        {
            Return(item.Buffer);
        }
    }

    /// <summary>No more datagrams will come; those already queued can still be read.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Completes and returns the queued buffers to the pool unread.</summary>
    public void CompleteAndDrain()
    {
        Complete();
        while (_queue.Reader.TryRead(out var item)) Return(item.Buffer);
    }
}
