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
