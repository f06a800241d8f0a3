using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WebTorrent.Bootstrap.Udp;

/// <summary>The BEP 15 UDP tracker over the shared swarms; runs only when <see cref="WebTorrentTrackerOptions.UdpPort"/> is set.</summary>
internal sealed class UdpTrackerService(WebTorrentTracker tracker, ILogger<UdpTrackerService> logger) : BackgroundService
{
    private Socket? _socket;

    /// <summary>The bound endpoint once started (port 0 in options picks a free one).</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint as IPEndPoint;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (tracker.Options.UdpPort is { } port)
        {
            var address = tracker.Options.UdpAddress;
            _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (address.Equals(IPAddress.IPv6Any)) _socket.DualMode = true;
            _socket.Bind(new IPEndPoint(address, port));
            tracker.UdpEndPoint = (IPEndPoint?)_socket.LocalEndPoint;
            logger.LogInformation("UDP tracker listening on udp://{EndPoint}", _socket.LocalEndPoint);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_socket is null) return;
        var receive = new byte[2048];
        var send = new byte[1500];
        var source = new SocketAddress(_socket.AddressFamily);
        while (!stoppingToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(receive, SocketFlags.None, source, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // ICMP port unreachable from an earlier reply surfaces here on some platforms: keep serving.
                logger.LogDebug(e, "UDP receive failed");
                continue;
            }
            int length;
            try
            {
                length = tracker.HandleUdp(receive.AsSpan(0, received), source, send);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // One bad datagram must never stop the tracker (a BackgroundService fault stops the host).
                logger.LogWarning(e, "UDP request failed");
                continue;
            }
            if (length == 0) continue;
            try
            {
                await _socket.SendToAsync(send.AsMemory(0, length), SocketFlags.None, source, stoppingToken);
            }
            catch (SocketException e)
            {
                logger.LogDebug(e, "UDP send failed");
            }
        }
    }

    public override void Dispose()
    {
        _socket?.Dispose();
        base.Dispose();
    }
}
