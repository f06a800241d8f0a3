namespace WebTorrent.Bootstrap;

/// <summary>
/// <c>dotnet run --project src/WebTorrent.Bootstrap</c>: a tracker on http://0.0.0.0:8000 (ws://host:8000 for browsers)
/// and udp://0.0.0.0:8000. Override with the usual ASP.NET Core settings: <c>--urls</c>, <c>--Tracker:UdpPort=6969</c>,
/// <c>--Tracker:MaxPeersPerSwarm=10000</c>, <c>--Tracker:DhtPort=6881</c> (a DHT bootstrap node; off by default),
/// <c>--Tracker:DhtRendezvousInfoHash=</c> (empty: no DHT introductions)...
/// </summary>
internal static class TrackerServerProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var fastPath = builder.Configuration.GetValue("Tracker:FastPath", true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Announces, scrapes and WebSocket peers straight from the connection; the rest through MapWebTorrentTracker.
            if (fastPath) kestrel.ConfigureEndpointDefaults(listen => listen.UseWebTorrentTrackerFastPath());
        });
        // Tracker handlers never block: run them on the socket's I/O thread instead of queueing each request to the thread
        // pool (a thread hop per announce). Turn off with --Tracker:InlineScheduling=false when embedding blocking code.
        if (builder.Configuration.GetValue("Tracker:InlineScheduling", true))
        {
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
            // The socket engine reads this once, when the first socket starts (Kestrel's bind, after Build): completions then
            // run on the epoll thread too, as the inline scheduling above expects.
            if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
                Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://0.0.0.0:8000");
        builder.Services.AddWebTorrentTracker(options =>
        {
            options.UdpPort = 8000;
            builder.Configuration.GetSection("Tracker").Bind(options);
        });
        var app = builder.Build();
        app.MapWebTorrentTracker();
        app.Run();
    }
}
