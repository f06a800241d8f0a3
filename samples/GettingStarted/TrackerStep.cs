using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebTorrent.Bootstrap;

namespace GettingStarted;

/// <summary>Step 4 of the page: run a tracker (WebSocket for browsers, HTTP and UDP for desktop clients).</summary>
internal static class TrackerStep
{
    /// <summary>Starts a tracker on <paramref name="url"/> (port 0: a free one) and returns the running app.</summary>
    public static async Task<WebApplication> StartAsync(string url, CancellationToken cancellationToken)
    {
        #region tracker
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);                                // e.g. http://0.0.0.0:8000
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWebTorrentTracker(options =>
        {
            options.UdpPort = 0;                                     // a UDP tracker too (BEP 15); null: none
            options.UdpAddress = IPAddress.Loopback;                 // here: this machine only
            options.MaxPeersPerSwarm = 10_000;                       // every limit is an option with a safe default
        });
        var app = builder.Build();
        app.MapWebTorrentTracker();                                  // ws://host/, /announce, /scrape, /offer, /stats
        await app.StartAsync(cancellationToken);
        #endregion
        return app;
    }

    /// <summary>The HTTP announce URL of a started tracker.</summary>
    public static string AnnounceUrl(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(new Uri(address), "/announce").ToString();
    }
}
