using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebTorrent.Bootstrap;
using WebTorrent.TestSupport;

namespace Interop.Tests.Bootstrap;

/// <summary>Our tracker in-process on Kestrel at 127.0.0.1 (free ports), also serving the browser page and webtorrent.min.js.</summary>
public sealed class TrackerTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrackerTestHost(WebApplication app, Uri http, WebTorrentTracker tracker)
    {
        _app = app;
        HttpUri = http;
        Tracker = tracker;
    }

    public Uri HttpUri { get; }

    public string WebSocketUrl => $"ws://{HttpUri.Authority}";

    public WebTorrentTracker Tracker { get; }

    public IPEndPoint UdpEndPoint => Tracker.UdpEndPoint ?? throw new InvalidOperationException("no UDP tracker");

    /// <summary>Starts the tracker; <paramref name="fastPath"/> serves announces and WebSocket peers on the connection (as the standalone server does).</summary>
    public static async Task<TrackerTestHost> StartAsync(Action<WebTorrentTrackerOptions>? configure = null, bool fastPath = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (fastPath) builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.UseWebTorrentTrackerFastPath()));
        builder.Services.AddWebTorrentTracker(o =>
        {
            o.UdpPort = 0;
            o.UdpAddress = IPAddress.Loopback;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapWebTorrentTracker();
        var minJs = Path.Combine(RepoPaths.Interop, "webtorrent.min.js");
        if (!File.Exists(minJs)) throw new InvalidOperationException($"{minJs} is missing: run eng/install-test-deps.sh.");
        app.MapGet("/page.html", () => Results.Content(
            "<!doctype html><html><body><script type=\"module\">import WebTorrent from './webtorrent.min.js'; window.WebTorrent = WebTorrent; window.ready = true;</script></body></html>",
            "text/html"));
        app.MapGet("/webtorrent.min.js", () => Results.File(minJs, "text/javascript"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TrackerTestHost(app, new Uri(address), app.Services.GetRequiredService<WebTorrentTracker>());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
