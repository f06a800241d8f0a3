using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebTorrent.Bootstrap.Udp;

namespace WebTorrent.Bootstrap;

/// <summary>Registers the WebTorrent tracker's services.</summary>
public static class TrackerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="WebTorrentTracker"/> singleton (swarms, relay, stats) configured by <paramref name="configure"/>,
    /// the UDP tracker as a hosted service when <see cref="WebTorrentTrackerOptions.UdpPort"/> is set, and a DHT bootstrap
    /// node when <see cref="WebTorrentTrackerOptions.DhtPort"/> is set.
    /// </summary>
    public static IServiceCollection AddWebTorrentTracker(this IServiceCollection services, Action<WebTorrentTrackerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<WebTorrentTrackerOptions>();
        if (configure is not null) builder.Configure(configure);
        services.TryAddSingleton<WebTorrentTracker>();
        services.AddHostedService<UdpTrackerService>();
        services.AddHostedService<DhtRouter.DhtBootstrapService>();
        return services;
    }
}
