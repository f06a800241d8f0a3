namespace WebTorrent.Protocol;

/// <summary>
/// A batch of block requests started by <see cref="PeerWire.BatchRequests"/>: requests made while it is open go out
/// together when it is disposed.
/// </summary>
public struct RequestBatch : IDisposable
{
    private PeerWire? _wire;

    internal RequestBatch(PeerWire wire) => _wire = wire;

    /// <summary>Ends the batch and sends its requests. A second dispose of the same copy does nothing.</summary>
    public void Dispose()
    {
        var wire = _wire;
        _wire = null;
        wire?.EndRequestBatch();
    }
}
