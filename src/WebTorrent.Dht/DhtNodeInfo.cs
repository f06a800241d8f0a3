using System.Net;

namespace WebTorrent.Dht;

/// <summary>A DHT node as others see it: its id and where its transport reaches it.</summary>
/// <param name="Id">The node id.</param>
/// <param name="EndPoint">
/// Where it is reached: an <see cref="IPEndPoint"/> over UDP, or any other <see cref="System.Net.EndPoint"/>
/// a transport understands (a WebRTC-introduced peer, a simulated address).
/// </param>
public sealed record DhtNodeInfo(NodeId Id, EndPoint EndPoint);
