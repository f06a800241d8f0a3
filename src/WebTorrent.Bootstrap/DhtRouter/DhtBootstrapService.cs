using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WebTorrent.Dht;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Bootstrap.DhtRouter;

/// <summary>
/// A mainline DHT node (BEP 5, WebTorrent.Dht) on UDP that other nodes bootstrap from, as router.bittorrent.com serves:
/// it answers queries and hands out the nodes it has met. Runs only when <see cref="WebTorrentTrackerOptions.DhtPort"/>
/// is set; joins no network itself (no bootstrap nodes of its own).
/// </summary>
internal sealed class DhtBootstrapService(WebTorrentTracker tracker, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private DhtNode? _node;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (tracker.Options.DhtPort is not { } port) return;
        var transport = UdpDhtTransport.Bind(new IPEndPoint(tracker.Options.UdpAddress, port));
        var node = new DhtNode(transport, new DhtNodeOptions { TimeProvider = tracker.Options.TimeProvider, LoggerFactory = loggerFactory });
        _node = node;
        await node.StartAsync(cancellationToken);
        tracker.DhtNode = node;
        loggerFactory.CreateLogger<DhtBootstrapService>().LogInformation("DHT bootstrap node {Id} listening on udp://{EndPoint}", node.Id, node.LocalEndPoint);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _node, null) is { } node)
        {
            tracker.DhtNode = null;
            await node.DisposeAsync();
        }
    }
}
