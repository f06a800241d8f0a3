using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace WebTorrent.Http.Tests;

/// <summary>Real Kestrel on 127.0.0.1 port 0, an in-memory catalog, HttpClient (and raw sockets for odd targets).</summary>
public sealed class FileServingTests : IAsyncLifetime
{
    private const int MovieLength = 1_234_567;
    private TestServer _server = null!;
    private FakeTorrent _torrent = null!;
    private byte[] _movie = null!;

    private string MovieUrl => $"{_torrent.InfoHash.ToHex()}/0";

    public async Task InitializeAsync()
    {
        var catalog = new FakeCatalog();
        _movie = FakeCatalog.RandomBytes(MovieLength, 1);
        _torrent = catalog.Add("Big Buck <Bunny>",
            ("Big Buck <Bunny>/movie.mp4", _movie),
            ("Big Buck <Bunny>/sub dir/notes ünï.txt", "hello"u8.ToArray()),
            ("Big Buck <Bunny>/empty.bin", []),
            ("Big Buck <Bunny>/cover.png", FakeCatalog.RandomBytes(100, 2)));
        _server = await TestServer.StartAsync(catalog);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Full_get_returns_every_byte_with_entity_headers()
    {
        using var response = await _server.GetAsync(MovieUrl);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_movie, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(MovieLength, response.Content.Headers.ContentLength);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Equal($"\"{_torrent.InfoHash.ToHex()}-0\"", response.Headers.ETag!.Tag);
        Assert.False(response.Headers.ETag.IsWeak);
        Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("movie.mp4", response.Content.Headers.ContentDisposition.FileNameStar);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(0, _torrent.File(0).OpenStreams);
    }

    [Fact]
    public async Task File_by_path_serves_the_same_bytes_as_by_index()
    {
        using var byPath = await _server.GetAsync($"{_torrent.InfoHash.ToHex()}/Big%20Buck%20%3CBunny%3E/sub%20dir/notes%20%C3%BCn%C3%AF.txt");
        Assert.Equal(HttpStatusCode.OK, byPath.StatusCode);
        Assert.Equal("hello", await byPath.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", byPath.Content.Headers.ContentType!.MediaType);
        using var upper = await _server.GetAsync($"{_torrent.InfoHash.ToHex().ToUpperInvariant()}/1");
        Assert.Equal("hello", await upper.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("bytes=100-199", 100, 199)]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=-500", MovieLength - 500, MovieLength - 1)]
    [InlineData("bytes=1000000-", 1000000, MovieLength - 1)]
    [InlineData("bytes=1200000-99999999", 1200000, MovieLength - 1)]
    public async Task Single_range_returns_206_with_content_range(string range, long first, long last)
    {
        using var response = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var contentRange = response.Content.Headers.ContentRange!;
        Assert.Equal((first, last, MovieLength), (contentRange.From!.Value, contentRange.To!.Value, contentRange.Length!.Value));
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal(_movie[(int)first..(int)(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("video/mp4", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("bytes=1234567-")]
    [InlineData("bytes=2000000-3000000")]
    [InlineData("bytes=-0")]
    public async Task Unsatisfiable_range_is_416_with_the_length(string range)
    {
        using var response = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal($"bytes */{MovieLength}", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, _torrent.File(0).OpenedStreams);
    }

    [Theory]
    [InlineData("bytes=5-1")]
    [InlineData("pages=1-2")]
    [InlineData("bytes=abc")]
    public async Task Malformed_range_is_ignored(string range)
    {
        using var response = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MovieLength, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Several_ranges_come_back_as_multipart_byteranges()
    {
        using var response = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-9, 500000-500099, -7"));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var type = response.Content.Headers.ContentType!;
        Assert.Equal("multipart/byteranges", type.MediaType);
        var boundary = type.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);

        var reader = new MultipartReader(boundary, new MemoryStream(body));
        (long First, long Last)[] expected = [(0, 9), (500000, 500099), (MovieLength - 7, MovieLength - 1)];
        foreach (var (first, last) in expected)
        {
            var section = await reader.ReadNextSectionAsync(TestServer.TimeoutToken());
            Assert.NotNull(section);
            Assert.Equal("video/mp4", section.ContentType);
            Assert.Equal($"bytes {first}-{last}/{MovieLength}", section.Headers!["Content-Range"].ToString());
            var data = new MemoryStream();
            await section.Body.CopyToAsync(data);
            Assert.Equal(_movie[(int)first..(int)(last + 1)], data.ToArray());
        }
        Assert.Null(await reader.ReadNextSectionAsync(TestServer.TimeoutToken()));
    }

    [Fact]
    public async Task Head_sends_the_headers_of_get_and_opens_no_stream()
    {
        using var response = await _server.SendAsync(HttpMethod.Head, MovieUrl);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MovieLength, response.Content.Headers.ContentLength);
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.NotNull(response.Headers.ETag);
        using var ranged = await _server.SendAsync(HttpMethod.Head, MovieUrl, r => r.Headers.Range = new RangeHeaderValue(10, 19));
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(10, ranged.Content.Headers.ContentLength);
        Assert.Equal(0, _torrent.File(0).OpenedStreams);
    }

    [Fact]
    public async Task If_range_with_the_current_etag_honours_the_range_and_any_other_validator_gets_the_whole_file()
    {
        var etag = $"\"{_torrent.InfoHash.ToHex()}-0\"";
        using var match = await _server.GetAsync(MovieUrl, r =>
        {
            r.Headers.Range = new RangeHeaderValue(0, 99);
            r.Headers.TryAddWithoutValidation("If-Range", etag);
        });
        Assert.Equal(HttpStatusCode.PartialContent, match.StatusCode);
        Assert.Equal(100, (await match.Content.ReadAsByteArrayAsync()).Length);

        foreach (var validator in new[] { "\"something-else\"", "W/" + etag, "Wed, 21 Oct 2015 07:28:00 GMT" })
        {
            using var other = await _server.GetAsync(MovieUrl, r =>
            {
                r.Headers.Range = new RangeHeaderValue(0, 99);
                r.Headers.TryAddWithoutValidation("If-Range", validator);
            });
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            Assert.Equal(_movie, await other.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Conditional_requests_get_304_and_412()
    {
        var etag = $"\"{_torrent.InfoHash.ToHex()}-0\"";
        using (var notModified = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"x\", " + etag)))
        {
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(etag, notModified.Headers.ETag!.Tag);
        }
        using (var star = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("If-None-Match", "*")))
        {
            Assert.Equal(HttpStatusCode.NotModified, star.StatusCode);
        }
        using (var failed = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("If-Match", "\"other\"")))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        }
        using (var passes = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("If-Match", etag)))
        {
            Assert.Equal(HttpStatusCode.OK, passes.StatusCode);
        }
        using (var changed = await _server.GetAsync(MovieUrl, r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"other\"")))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }
        Assert.Equal(2, _torrent.File(0).OpenedStreams);
    }

    [Fact]
    public async Task Last_modified_comes_from_the_torrent_and_drives_if_modified_since()
    {
        _torrent.LastModified = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 500, TimeSpan.Zero);
        using var first = await _server.SendAsync(HttpMethod.Head, MovieUrl);
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), first.Content.Headers.LastModified);
        using var notModified = await _server.GetAsync(MovieUrl, r => r.Headers.IfModifiedSince = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var modified = await _server.GetAsync(MovieUrl, r => r.Headers.IfModifiedSince = new DateTimeOffset(2024, 5, 6, 7, 8, 8, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, modified.StatusCode);
        using var byDate = await _server.GetAsync(MovieUrl, r =>
        {
            r.Headers.Range = new RangeHeaderValue(0, 9);
            r.Headers.TryAddWithoutValidation("If-Range", "Mon, 06 May 2024 07:08:09 GMT");
        });
        Assert.Equal(HttpStatusCode.PartialContent, byDate.StatusCode);
    }

    [Theory]
    [InlineData(1, "text/plain")]
    [InlineData(3, "image/png")]
    public async Task Content_type_follows_the_file_name(int index, string type)
    {
        using var response = await _server.GetAsync($"{_torrent.InfoHash.ToHex()}/{index}");
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Empty_file_is_200_with_no_body_and_any_range_is_unsatisfiable()
    {
        using var response = await _server.GetAsync($"{_torrent.InfoHash.ToHex()}/2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        using var ranged = await _server.GetAsync($"{_torrent.InfoHash.ToHex()}/2", r => r.Headers.Range = new RangeHeaderValue(0, null));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, ranged.StatusCode);
    }

    [Fact]
    public async Task Download_query_asks_for_an_attachment()
    {
        using var response = await _server.GetAsync($"{MovieUrl}?download");
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000/0")]
    [InlineData("not-a-hash/0")]
    [InlineData("{hash}/4")]
    [InlineData("{hash}/-1")]
    [InlineData("{hash}/99999999999999999999")]
    [InlineData("{hash}/movie.mp4")]
    [InlineData("{hash}/big%20buck%20%3Cbunny%3E/movie.mp4")]
    [InlineData("{hash}/Big%20Buck%20%3CBunny%3E/")]
    [InlineData("{hash}/Big%20Buck%20%3CBunny%3E%2Fmovie.mp4")]
    public async Task Unknown_torrent_or_file_is_404(string relative)
    {
        using var response = await _server.GetAsync(relative.Replace("{hash}", _torrent.InfoHash.ToHex()));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/webtorrent/{hash}/../../../../etc/passwd")]
    [InlineData("/webtorrent/{hash}/%2e%2e/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/webtorrent/{hash}/..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/webtorrent/{hash}/..%5c..%5c..%5cetc%5cpasswd")]
    [InlineData("/webtorrent/{hash}/%2fetc%2fpasswd")]
    [InlineData("/webtorrent/{hash}//etc/passwd")]
    [InlineData("/webtorrent/{hash}/Big%20Buck%20%3CBunny%3E/../../../etc/passwd")]
    [InlineData("/webtorrent/{hash}/Big%20Buck%20%3CBunny%3E/%00movie.mp4")]
    [InlineData("/webtorrent/{hash}/C:%5cWindows%5cwin.ini")]
    [InlineData("/webtorrent/../../etc/passwd")]
    public async Task Path_escape_attempts_never_serve_anything(string target)
    {
        var status = await _server.RawStatusAsync(target.Replace("{hash}", _torrent.InfoHash.ToHex()));
        Assert.True(status is 400 or 404, $"{target} answered {status}");
        Assert.Equal(0, _torrent.File(0).OpenedStreams);
    }

    [Fact]
    public async Task Index_lists_torrents_and_files_in_html_with_names_encoded_and_in_json()
    {
        using var html = await _server.GetAsync("", r => r.Headers.Accept.ParseAdd("text/html"));
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        var page = await html.Content.ReadAsStringAsync();
        Assert.Contains("Big Buck &lt;Bunny&gt;", page);
        Assert.DoesNotContain("<Bunny>", page);

        using var json = await _server.GetAsync("index.json");
        using var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var torrent = doc.RootElement.GetProperty("torrents").EnumerateArray().Single();
        Assert.Equal(_torrent.InfoHash.ToHex(), torrent.GetProperty("infoHash").GetString());
        Assert.Equal("Big Buck <Bunny>", torrent.GetProperty("name").GetString());
        Assert.Equal(4, torrent.GetProperty("fileCount").GetInt32());

        using var negotiated = await _server.GetAsync("", r => r.Headers.Accept.ParseAdd("application/json"));
        Assert.Equal("application/json", negotiated.Content.Headers.ContentType!.MediaType);

        using var filesPage = await _server.GetAsync(_torrent.InfoHash.ToHex());
        var filesHtml = await filesPage.Content.ReadAsStringAsync();
        Assert.Contains("notes ünï.txt", System.Net.WebUtility.HtmlDecode(filesHtml));

        using var filesJson = await _server.GetAsync(_torrent.InfoHash.ToHex() + ".json");
        using var files = JsonDocument.Parse(await filesJson.Content.ReadAsStringAsync());
        var list = files.RootElement.GetProperty("files").EnumerateArray().ToArray();
        Assert.Equal(4, list.Length);
        Assert.Equal("video/mp4", list[0].GetProperty("contentType").GetString());
        foreach (var file in list.Where(f => f.GetProperty("length").GetInt64() > 0))
        {
            foreach (var url in new[] { file.GetProperty("url").GetString()!, file.GetProperty("pathUrl").GetString()! })
            {
                using var fetched = await _server.Client.GetAsync(new Uri(_server.Server.BaseAddress, url), TestServer.TimeoutToken());
                Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
                Assert.Equal(file.GetProperty("length").GetInt64(), (await fetched.Content.ReadAsByteArrayAsync()).Length);
            }
        }
    }
}
