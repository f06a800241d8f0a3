namespace WebRtc.Transport;

/// <summary>
/// One connected, unreliable, message-oriented transport: the narrow seam between the layers of the
/// stack (ICE gives DTLS one, DTLS gives SCTP one). A datagram is sent or lost whole, never split.
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The largest datagram <see cref="SendAsync"/> accepts.</summary>
    int MaxDatagramSize { get; }

    /// <summary>Sends one datagram. It may be lost; it is never split or merged with another.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the next datagram into <paramref name="buffer"/> and returns its length. Returns 0 once the
    /// transport is closed (a zero-length datagram is never delivered).
    /// </summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}
