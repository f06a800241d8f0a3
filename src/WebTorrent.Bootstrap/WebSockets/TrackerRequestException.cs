namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>A tracker request that cannot be served; its message goes back to the client as <c>failure reason</c>.</summary>
internal sealed class TrackerRequestException(string message) : Exception(message);
