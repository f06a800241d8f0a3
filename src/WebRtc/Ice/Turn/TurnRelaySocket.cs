using System.Buffers;
using System.Net;
using System.Threading.Channels;

namespace WebRtc.Ice.Turn;

/// <summary>
/// A TURN allocation seen as a UDP socket bound to the relayed address: sends go to the peer through the server
/// (Send indications or ChannelData), and receives yield what peers sent to the relayed address. This is how the
/// ICE agent uses a relay candidate's base like any other.
/// </summary>
internal sealed class TurnRelaySocket : IUdpSocket
{
    private readonly TurnClient _client;
    private readonly Channel<Received> _queue;

    public TurnRelaySocket(TurnClient client, IPEndPoint relayed, int capacity)
    {
        _client = client;
        LocalEndPoint = relayed;
        _queue = Channel.CreateBounded<Received>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            dropped => ArrayPool<byte>.Shared.Return(dropped.Buffer));
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint) => _client.Send(datagram, remoteEndPoint);

    public async ValueTask<UdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Received received;
        try
        {
            received = await _queue.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException("The TURN allocation is closed.", e);
        }
        var length = Math.Min(received.Length, buffer.Length);
        received.Buffer.AsSpan(0, length).CopyTo(buffer.Span);
        ArrayPool<byte>.Shared.Return(received.Buffer);
        return new UdpReceiveResult(length, received.From);
    }

    /// <summary>Queues a datagram a peer sent to the relayed address (dropped when the queue is full).</summary>
    public void Deliver(ReadOnlySpan<byte> data, IPEndPoint from)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, data.Length));
        data.CopyTo(buffer);
        if (!_queue.Writer.TryWrite(new Received(buffer, data.Length, from))) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Ends receiving: the reader sees the socket closed once the queue is drained.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public void Dispose() => Complete();

    private readonly record struct Received(byte[] Buffer, int Length, IPEndPoint From);
}
