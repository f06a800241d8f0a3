using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>The tracker in Kestrel on 127.0.0.1 (a free port), through the ASP.NET Core pipeline or the fast path.</summary>
internal sealed class TestTrackerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestTrackerHost(WebApplication app)
    {
        _app = app;
        Http = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Tracker = app.Services.GetRequiredService<WebTorrentTracker>();
    }

    /// <summary>The server's http:// address.</summary>
    public Uri Http { get; }

    /// <summary>The WebSocket tracker's ws:// address.</summary>
    public Uri WebSocket => new($"ws://{Http.Authority}/");

    /// <summary>The <c>POST /offer</c> endpoint.</summary>
    public Uri OfferEndpoint => new(Http, "/offer");

    /// <summary>The tracker under test.</summary>
    public WebTorrentTracker Tracker { get; }

    public static async Task<TestTrackerHost> StartAsync(bool fastPath, Action<WebTorrentTrackerOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (fastPath) builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.UseWebTorrentTrackerFastPath()));
        builder.Services.AddWebTorrentTracker(o => configure?.Invoke(o));
        var app = builder.Build();
        app.MapWebTorrentTracker();
        await app.StartAsync();
        return new TestTrackerHost(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
