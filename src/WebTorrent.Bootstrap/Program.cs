using WebTorrent.Bootstrap;

// `dotnet run --project src/WebTorrent.Bootstrap`: a tracker on http://0.0.0.0:8000 (ws://host:8000 for browsers)
// and udp://0.0.0.0:8000. Override with the usual ASP.NET Core settings: --urls, and --Tracker:UdpPort=6969 etc.
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
