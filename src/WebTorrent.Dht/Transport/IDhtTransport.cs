using System.Net;

namespace WebTorrent.Dht.Transport;

/// <summary>Receives the datagrams a transport delivers; called once per datagram, possibly concurrently from one receive loop.</summary>
/// <param name="datagram">The bytes; only valid during the call.</param>
/// <param name="source">Who sent them.</param>
public delegate void DhtDatagramHandler(ReadOnlySpan<byte> datagram, EndPoint source);

/// <summary>
/// How a <see cref="DhtNode"/> reaches other nodes: unreliable datagrams to and from opaque endpoints.
/// UDP (<see cref="UdpDhtTransport"/>) is one implementation; an in-memory network
/// (<see cref="Simulation.SimulatedNetwork"/>) and, later, WebRTC data channels are others. Endpoints are
/// <see cref="EndPoint"/>s so a transport may define its own kind (a WebRTC peer is no IP address).
/// </summary>
public interface IDhtTransport : IAsyncDisposable
{
    /// <summary>Where this transport receives, as others would address it.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Starts delivering received datagrams to <paramref name="handler"/>. Called once. The handler must not throw;
    /// a transport drops what the handler cannot take.
    /// </summary>
    void Start(DhtDatagramHandler handler);

    /// <summary>
    /// Sends one datagram, best effort: it may be lost. Completes once handed to the network; failures to reach
    /// <paramref name="destination"/> are not reported (as with UDP), only misuse throws.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint destination, CancellationToken cancellationToken);
}
