using System.Buffers;
using System.Threading.Channels;

namespace WebRtc.Transport;

/// <summary>
/// The hand-off from a layer's receive loop to its <see cref="IDatagramTransport.ReceiveAsync"/>: a bounded
/// queue of datagrams, each copied into a pooled buffer. When full it drops, as the wire would.
/// </summary>
internal sealed class ReceivedDatagramQueue
{
    private readonly Channel<(byte[] Buffer, int Length)> _queue;

    public ReceivedDatagramQueue(int capacity) =>
        _queue = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(Math.Max(16, capacity))
        {
            FullMode = BoundedChannelFullMode.DropWrite,
        });

    /// <summary>Copies <paramref name="datagram"/> in; drops it when the queue is full or completed.</summary>
    public void Enqueue(ReadOnlySpan<byte> datagram)
    {
        var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(copy);
        if (!_queue.Writer.TryWrite((copy, datagram.Length))) ArrayPool<byte>.Shared.Return(copy);
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
            ArrayPool<byte>.Shared.Return(item.Buffer);
        }
    }

    /// <summary>No more datagrams will come; those already queued can still be read.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Completes and returns the queued buffers to the pool unread.</summary>
    public void CompleteAndDrain()
    {
        Complete();
        while (_queue.Reader.TryRead(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
    }
}
