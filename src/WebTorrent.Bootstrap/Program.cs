namespace WebTorrent.Bootstrap;

/// <summary>
/// <c>dotnet run --project src/WebTorrent.Bootstrap</c>: a tracker on http://0.0.0.0:8000 (ws://host:8000 for browsers)
/// and udp://0.0.0.0:8000. Override with the usual ASP.NET Core settings: <c>--urls</c>, <c>--Tracker:UdpPort=6969</c>,
/// <c>--Tracker:MaxPeersPerSwarm=10000</c>...
/// </summary>
internal static class TrackerServerProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
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
