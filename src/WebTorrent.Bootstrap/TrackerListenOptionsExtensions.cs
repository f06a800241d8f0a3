using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using WebTorrent.Bootstrap.FastPath;

namespace WebTorrent.Bootstrap;

/// <summary>Serves the tracker's hot paths on a Kestrel endpoint ahead of the ASP.NET Core pipeline.</summary>
public static class TrackerListenOptionsExtensions
{
    /// <summary>
    /// Adds connection middleware to <paramref name="listenOptions"/> that answers HTTP/1.1 <c>GET /announce</c> and
    /// <c>GET /scrape</c> and holds WebSocket tracker peers (<c>ws://host/</c> or <c>/announce</c>) directly on the
    /// connection's pipes, without an <c>HttpContext</c> per request or per WebSocket: several times the announce rate and a
    /// fraction of the memory per WebSocket peer. Every other request (stats, <c>POST /offer</c>, your own endpoints,
    /// HTTP/1.0, requests with a body) continues in the normal pipeline, so still call
    /// <see cref="TrackerEndpointRouteBuilderExtensions.MapWebTorrentTracker"/> with the same <paramref name="prefix"/>.
    /// Fast-path requests skip ASP.NET Core middleware (authentication, rate limiting, logging); use it on an endpoint
    /// dedicated to the tracker. Plain-text endpoints only: on an HTTPS endpoint add it after <c>UseHttps()</c>.
    /// </summary>
    /// <param name="listenOptions">The endpoint, for example in <c>ConfigureKestrel(k =&gt; k.ConfigureEndpointDefaults(l =&gt; l.UseWebTorrentTrackerFastPath()))</c>.</param>
    /// <param name="prefix">The route prefix given to <c>MapWebTorrentTracker</c>; empty for the root.</param>
    /// <returns><paramref name="listenOptions"/>.</returns>
    public static ListenOptions UseWebTorrentTrackerFastPath(this ListenOptions listenOptions, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(prefix);
        listenOptions.Use(next =>
        {
            var handler = new TrackerConnectionHandler(listenOptions.ApplicationServices.GetRequiredService<WebTorrentTracker>(), prefix);
            return connection => handler.OnConnectionAsync(connection, next);
        });
        return listenOptions;
    }
}
