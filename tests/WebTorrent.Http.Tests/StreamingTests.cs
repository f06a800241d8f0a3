using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;

namespace WebTorrent.Http.Tests;

/// <summary>Files whose pieces are still arriving: ranges served ahead of the download, disconnects, stalls, limits.</summary>
public sealed class StreamingTests
{
    private const int PieceLength = 256 * 1024;
    private const int Pieces = 32; // 8 MiB

    private static (FakeCatalog Catalog, FakeTorrent Torrent, FakeFile File) Downloading(bool onDemand, int length = Pieces * PieceLength - 12345)
    {
        var catalog = new FakeCatalog();
        var torrent = catalog.Add("downloading", ("downloading/video.mp4", FakeCatalog.RandomBytes(length, 7)));
        var file = torrent.File(0);
        file.Pieces = new PieceAvailability((length + PieceLength - 1) / PieceLength, PieceLength) { DeliverOnDemand = onDemand };
        return (catalog, torrent, file);
    }

    [Fact]
    public async Task Range_for_the_last_megabyte_is_served_before_the_rest_of_the_file_exists()
    {
        var (catalog, torrent, file) = Downloading(onDemand: true);
        await using var server = await TestServer.StartAsync(catalog);
        const int Mib = 1024 * 1024;

        using var response = await server.GetAsync($"{torrent.InfoHash.ToHex()}/0", r => r.Headers.Range = new RangeHeaderValue(null, Mib));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(file.Data[^Mib..], await response.Content.ReadAsByteArrayAsync());
        var firstNeeded = (int)((file.Length - Mib) / PieceLength);
        var pieces = file.Pieces!;
        Assert.All(pieces.Requested, p => Assert.True(p >= firstNeeded, $"piece {p} was read"));
        for (var p = 0; p < firstNeeded; p++) Assert.False(pieces.Has(p), $"piece {p} should not exist yet");
        Assert.True(pieces.Progress < 0.2);
        await TestServer.EventuallyAsync(() => file.OpenStreams == 0, "stream closed");
    }

    [Fact]
    public async Task Full_response_flushes_the_available_start_while_later_pieces_are_missing()
    {
        var (catalog, torrent, file) = Downloading(onDemand: false);
        for (var p = 0; p < 2; p++) file.Pieces!.Deliver(p);
        await using var server = await TestServer.StartAsync(catalog);

        using var response = await server.SendAsync(HttpMethod.Get, $"{torrent.InfoHash.ToHex()}/0", completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(TestServer.TimeoutToken());
        var start = new byte[2 * PieceLength];
        await body.ReadExactlyAsync(start, TestServer.TimeoutToken());
        Assert.Equal(file.Data[..start.Length], start);
        await TestServer.EventuallyAsync(() => file.Pieces!.Waiting == 1, "the server waits for piece 2");

        // The rest arrives: the same response continues to the end.
        for (var p = 2; p < Pieces; p++) file.Pieces!.Deliver(p);
        var rest = new MemoryStream();
        await body.CopyToAsync(rest, TestServer.TimeoutToken());
        Assert.Equal(file.Data[start.Length..], rest.ToArray());
    }

    [Fact]
    public async Task Client_disconnect_mid_body_releases_the_stream()
    {
        var (catalog, torrent, file) = Downloading(onDemand: false);
        file.Pieces!.Deliver(0);
        await using var server = await TestServer.StartAsync(catalog);

        var response = await server.SendAsync(HttpMethod.Get, $"{torrent.InfoHash.ToHex()}/0", completion: HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync(TestServer.TimeoutToken());
        var some = new byte[64 * 1024];
        await body.ReadExactlyAsync(some, TestServer.TimeoutToken());
        await TestServer.EventuallyAsync(() => file.Pieces.Waiting == 1, "the server waits for piece 1");
        Assert.Equal(1, file.OpenStreams);
        Assert.Equal(1, server.Server.ActiveStreams);

        await body.DisposeAsync();
        response.Dispose();

        await TestServer.EventuallyAsync(() => file.OpenStreams == 0, "the torrent stream is disposed");
        await TestServer.EventuallyAsync(() => server.Server.ActiveStreams == 0 && file.Pieces.Waiting == 0, "the stream slot and the read are released");
    }

    [Fact]
    public async Task A_read_that_stalls_past_the_timeout_drops_the_response_and_releases_the_stream()
    {
        var (catalog, torrent, file) = Downloading(onDemand: false);
        var time = new FakeTimeProvider();
        var options = new TorrentHttpServerOptions { Http = new TorrentHttpOptions { StallTimeout = TimeSpan.FromMinutes(1), TimeProvider = time } };
        await using var server = await TestServer.StartAsync(catalog, options);

        var request = server.SendAsync(HttpMethod.Get, $"{torrent.InfoHash.ToHex()}/0", completion: HttpCompletionOption.ResponseHeadersRead);
        await TestServer.EventuallyAsync(() => file.Pieces!.Waiting == 1, "the server waits for piece 0");
        time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(50);
        Assert.False(request.IsCompleted);
        Assert.Equal(1, file.OpenStreams);

        time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => request);
        await TestServer.EventuallyAsync(() => file.OpenStreams == 0 && server.Server.ActiveStreams == 0, "the stalled stream is released");
    }

    [Fact]
    public async Task Streams_per_client_are_limited_and_freed_when_a_response_ends()
    {
        var (catalog, torrent, file) = Downloading(onDemand: false);
        var options = new TorrentHttpServerOptions { Http = new TorrentHttpOptions { MaxConcurrentStreamsPerClient = 2 } };
        await using var server = await TestServer.StartAsync(catalog, options);
        var url = $"{torrent.InfoHash.ToHex()}/0";

        var first = server.SendAsync(HttpMethod.Get, url, completion: HttpCompletionOption.ResponseHeadersRead);
        var second = server.SendAsync(HttpMethod.Get, url, r => r.Headers.Range = new RangeHeaderValue(PieceLength, null), HttpCompletionOption.ResponseHeadersRead);
        await TestServer.EventuallyAsync(() => file.Pieces!.Waiting == 2, "two responses wait for data");

        using (var third = await server.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("1", third.Headers.GetValues("Retry-After").Single());
        }
        using (var head = await server.SendAsync(HttpMethod.Head, url))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode); // HEAD streams nothing, so it is not limited
        }

        file.Pieces!.Deliver(0); // the first response can finish piece 0 but waits on piece 1
        for (var p = 0; p < Pieces; p++) file.Pieces.Deliver(p);
        using (var r1 = await first) Assert.Equal(file.Data, await r1.Content.ReadAsByteArrayAsync());
        using (var r2 = await second) Assert.Equal(file.Data[PieceLength..], await r2.Content.ReadAsByteArrayAsync());
        await TestServer.EventuallyAsync(() => server.Server.ActiveStreams == 0, "slots released");
        using var fourth = await server.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, fourth.StatusCode);
    }

    [Fact]
    public async Task Disposing_the_server_ends_waiting_responses_and_releases_their_streams()
    {
        var (catalog, torrent, file) = Downloading(onDemand: false);
        var server = await TestServer.StartAsync(catalog, new TorrentHttpServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        var request = server.SendAsync(HttpMethod.Get, $"{torrent.InfoHash.ToHex()}/0", completion: HttpCompletionOption.ResponseHeadersRead);
        await TestServer.EventuallyAsync(() => file.Pieces!.Waiting == 1, "the server waits for piece 0");

        await server.Server.DisposeAsync().AsTask().WaitAsync(TestServer.Timeout);

        await TestServer.EventuallyAsync(() => file.OpenStreams == 0, "stream released on shutdown");
        await Assert.ThrowsAnyAsync<Exception>(() => request);
        server.Client.Dispose();
    }
}
