namespace WebRtc.Transport;

/// <summary>
/// Takes datagrams pushed synchronously by the layer below, on that layer's receive thread, instead of pulling
/// them through <see cref="IDatagramTransport.ReceiveAsync"/>: one queue hop, one copy and one thread switch
/// fewer per datagram on the data path.
/// </summary>
internal interface IDatagramReceiver
{
    /// <summary>
    /// Handles one datagram. The span is the caller's receive buffer: the receiver may modify it in place
    /// (decrypt) but must not keep it past the call.
    /// </summary>
    void OnDatagram(Span<byte> datagram);
}

/// <summary>A transport that can push its datagrams to an <see cref="IDatagramReceiver"/>.</summary>
internal interface IPushDatagramTransport
{
    /// <summary>
    /// From now on, datagrams go to <paramref name="receiver"/> (null: back to the queue read by
    /// <see cref="IDatagramTransport.ReceiveAsync"/>). Datagrams queued before the call stay queued.
    /// </summary>
    void SetReceiver(IDatagramReceiver? receiver);
}

/// <summary>
/// A transport that can send several equal-size datagrams with one system call (UDP GSO, <c>UDP_SEGMENT</c>):
/// the buffer holds them back to back, each of the segment size except the last, which may be shorter.
/// </summary>
internal interface ISegmentedDatagramSender
{
    /// <summary>Sends the segments, or returns false having sent nothing (not supported here: send them one by one).</summary>
    bool TrySendSegments(ReadOnlySpan<byte> buffer, int segmentSize);
}

/// <summary>A transport that takes a batch of datagrams at once (DTLS over a segmenting transport).</summary>
internal interface IBatchDatagramTransport
{
    /// <summary>
    /// Sends every datagram of <paramref name="datagrams"/>, in order; false, having sent nothing, when batching is not
    /// possible now (the caller then sends them one by one).
    /// </summary>
    bool TrySendBatch(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams);
}
