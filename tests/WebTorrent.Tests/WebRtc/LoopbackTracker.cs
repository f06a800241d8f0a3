using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebTorrent.Bootstrap;

namespace WebTorrent.Tests.WebRtc;

/// <summary>Our WebTorrent.Bootstrap WebSocket tracker in Kestrel on 127.0.0.1 (a free port).</summary>
internal sealed class LoopbackTracker : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackTracker(WebApplication app)
    {
        _app = app;
        var http = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        WebSocket = new Uri($"ws://{http.Authority}/");
    }

    /// <summary>The tracker's ws:// address.</summary>
    public Uri WebSocket { get; }

    public static async Task<LoopbackTracker> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddWebTorrentTracker();
        var app = builder.Build();
        app.MapWebTorrentTracker();
        await app.StartAsync();
        return new LoopbackTracker(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
