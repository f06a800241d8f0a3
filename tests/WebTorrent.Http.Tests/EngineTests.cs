using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebTorrent.TestSupport;
using WebTorrent.Tests.Engine;

namespace WebTorrent.Http.Tests;

/// <summary>The server over real <see cref="WebTorrentClient"/>s connected by in-memory pipes.</summary>
#pragma warning disable CA1001 // xunit 2 disposes test classes through IAsyncLifetime, which the analyzer does not know
public sealed class EngineTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly Swarm _swarm = new();

    /// <summary>A client without listener, discovery or PEX: peers come from the test.</summary>
    private WebTorrentClient Client(string name, WebTorrentClientOptions? options = null) =>
        _swarm.Client((options ?? new WebTorrentClientOptions()) with { ListenPort = null, EnablePex = false }, _swarm.Folder(name));

    private (string Folder, byte[] Bytes) WriteFile(string torrentName, string fileName, int length, int seed)
    {
        var folder = Path.Combine(_swarm.Root, "seed", torrentName);
        Directory.CreateDirectory(folder);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(folder, fileName), bytes);
        File.WriteAllBytes(Path.Combine(folder, "readme.txt"), "read me"u8.ToArray());
        return (folder, bytes);
    }

    private static async Task ConnectAsync(Torrent from, Torrent to)
    {
        var (a, b) = DuplexPipePair.Create();
        using var cts = new CancellationTokenSource(Timeout);
        await Task.WhenAll(from.AddPeerAsync(a, outgoing: true, cts.Token), to.AddPeerAsync(b, outgoing: false, cts.Token));
    }

    [Fact]
    public async Task Last_megabyte_of_a_downloading_torrent_arrives_over_http_before_the_rest()
    {
        const int Mib = 1024 * 1024;
        var (folder, bytes) = WriteFile("film", "film.mp4", 6 * Mib, 11);
        var seeder = Client("seeder", new WebTorrentClientOptions { UploadRateLimit = 1 * Mib });
        var seed = await seeder.SeedAsync(folder, new SeedOptions { PieceLength = 64 * 1024 });
        var leecher = Client("leecher");
        var leech = await leecher.AddAsync(seed.Metainfo!);
        await using var server = new TorrentHttpServer(leecher);
        using var cts = new CancellationTokenSource(Timeout);
        await server.StartAsync(cts.Token);
        var film = leech.Files.Single(f => f.Name == "film.mp4");
        var url = server.GetFileUri(film);
        Assert.EndsWith("/film/film.mp4", url.AbsolutePath);

        using var http = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(null, Mib) } };
        var send = http.SendAsync(request, cts.Token);
        await ConnectAsync(leech, seed);
        using var response = await send;

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes[^Mib..], await response.Content.ReadAsByteArrayAsync(cts.Token));
        Assert.True(leech.Progress < 1, "the whole file arrived before the last megabyte was served");
        await TestServer.EventuallyAsync(() => server.ActiveStreams == 0, "the response's stream is released");
    }

    [Fact]
    public async Task A_seeded_torrent_is_listed_and_served_whole_by_an_app_that_maps_the_files()
    {
        var (folder, bytes) = WriteFile("album", "track 01 – ünï.flac", 300_000, 12);
        var client = Client("seeder");
        var seed = await client.SeedAsync(folder, new SeedOptions { PieceLength = 16 * 1024 });

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapWebTorrentFiles(client, "/media/");
        using var cts = new CancellationTokenSource(Timeout);
        await app.StartAsync(cts.Token);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = address, Timeout = Timeout };

        var json = await http.GetStringAsync("/media/index.json", cts.Token);
        Assert.Contains(seed.InfoHash.ToHex(), json);
        var track = seed.Files.Single(f => f.Name.EndsWith(".flac", StringComparison.Ordinal));
        using var byIndex = await http.GetAsync($"/media/{seed.InfoHash.ToHex()}/{track.Index}", cts.Token);
        Assert.Equal(HttpStatusCode.OK, byIndex.StatusCode);
        Assert.Equal("audio/flac", byIndex.Content.Headers.ContentType!.MediaType);
        Assert.Equal("track 01 – ünï.flac", byIndex.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Equal(bytes, await byIndex.Content.ReadAsByteArrayAsync(cts.Token));

        var pathUrl = "/media/" + seed.InfoHash.ToHex() + "/" + string.Join('/', track.Path.Split('/').Select(Uri.EscapeDataString));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, pathUrl) { Headers = { Range = new RangeHeaderValue(1000, 1999) } };
        using var partial = await http.SendAsync(ranged, cts.Token);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[1000..2000], await partial.Content.ReadAsByteArrayAsync(cts.Token));

        await client.RemoveAsync(seed, cancellationToken: cts.Token);
        using var gone = await http.GetAsync($"/media/{seed.InfoHash.ToHex()}/{track.Index}", cts.Token);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await app.StopAsync(cts.Token);
    }

    [Fact]
    public async Task A_single_torrent_server_serves_that_torrent_only()
    {
        var (folderA, bytesA) = WriteFile("one", "a.txt", 50_000, 13);
        var (folderB, _) = WriteFile("two", "b.txt", 50_000, 14);
        var client = Client("seeder");
        var one = await client.SeedAsync(folderA, new SeedOptions { PieceLength = 16 * 1024 });
        var two = await client.SeedAsync(folderB, new SeedOptions { PieceLength = 16 * 1024 });
        await using var server = new TorrentHttpServer(one, new TorrentHttpServerOptions { PathPrefix = "/" });
        Assert.Throws<InvalidOperationException>(() => server.BaseAddress);
        using var cts = new CancellationTokenSource(Timeout);
        await server.StartAsync(cts.Token);
        Assert.Equal("/", server.BaseAddress.AbsolutePath);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        var index = await http.GetStringAsync("index.json", cts.Token);
        Assert.Contains(one.InfoHash.ToHex(), index);
        Assert.DoesNotContain(two.InfoHash.ToHex(), index);
        var a = one.Files.Single(f => f.Name == "a.txt");
        Assert.Equal(bytesA, await http.GetByteArrayAsync(server.GetFileUri(a), cts.Token));
        using var other = await http.GetAsync($"{two.InfoHash.ToHex()}/0", cts.Token);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _swarm.DisposeAsync().AsTask();
}
