using System.Net;
using System.Text;
using System.Text.Json;

namespace WebTorrent.Tracker.Tests;

/// <summary>
/// <see cref="OfferRelayClient"/> against canned HTTP responses: what it sends, and how it refuses what a server must not
/// send (the real server is exercised in WebTorrent.Bootstrap.Tests' DhtIntroductionTests and the interop tests).
/// </summary>
public sealed class OfferRelayClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Offer = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nX\"}";
    private static readonly string Ok =
        $"{{\"info_hash\":\"{new string('a', 40)}\",\"peer_id\":\"{new string('b', 40)}\",\"offer_id\":\"{new string('c', 40)}\",\"answer\":{{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nY\"}}}}";

    private sealed class Canned(Func<HttpRequestMessage, string, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<(Uri Uri, string Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add((request.RequestUri!, body));
            return respond(request, body);
        }
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) => new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static (OfferRelayClient Client, Canned Handler, HttpClient Http) Create(Func<HttpRequestMessage, string, HttpResponseMessage> respond, int maxResponseSize = 64 * 1024)
    {
        var handler = new Canned(respond);
        var http = new HttpClient(handler);
        return (new OfferRelayClient(new Uri("http://tracker.test/prefix/offer"), http, maxResponseSize), handler, http);
    }

    [Fact]
    public async Task Sends_info_hash_or_dht_and_target_and_reads_the_answer()
    {
        var (client, handler, http) = Create((_, _) => Json(HttpStatusCode.OK, Ok));
        using var ownedHttp = http;
        using var cts = new CancellationTokenSource(Timeout);
        var infoHash = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();

        var answer = await client.PostOfferAsync(infoHash, Offer, cts.Token);
        Assert.NotNull(answer);
        Assert.Equal(Enumerable.Repeat((byte)0xaa, 20), answer.InfoHash.ToArray());
        Assert.Equal(Enumerable.Repeat((byte)0xbb, 20), answer.PeerId.ToArray());
        Assert.Equal(Enumerable.Repeat((byte)0xcc, 20), answer.OfferId.ToArray());
        Assert.Equal(new SessionDescription("answer", "v=0\r\nY"), answer.Answer);

        await client.PostDhtOfferAsync(infoHash, new SessionDescription("offer", "v=0\r\n\"quoted\""), cts.Token);
        await client.PostDhtOfferAsync(null, Offer, cts.Token);

        Assert.All(handler.Requests, r => Assert.Equal("http://tracker.test/prefix/offer", r.Uri.ToString()));
        using (var first = JsonDocument.Parse(handler.Requests[0].Body))
        {
            Assert.Equal(Convert.ToHexStringLower(infoHash), first.RootElement.GetProperty("info_hash").GetString());
            Assert.False(first.RootElement.TryGetProperty("dht", out _));
            Assert.Equal("v=0\r\nX", first.RootElement.GetProperty("offer").GetProperty("sdp").GetString());
        }
        using (var second = JsonDocument.Parse(handler.Requests[1].Body))
        {
            Assert.True(second.RootElement.GetProperty("dht").GetBoolean());
            Assert.Equal(Convert.ToHexStringLower(infoHash), second.RootElement.GetProperty("target").GetString());
            Assert.False(second.RootElement.TryGetProperty("info_hash", out _));
            Assert.Equal("v=0\r\n\"quoted\"", second.RootElement.GetProperty("offer").GetProperty("sdp").GetString());
            Assert.Equal("offer", second.RootElement.GetProperty("offer").GetProperty("type").GetString());
        }
        using (var third = JsonDocument.Parse(handler.Requests[2].Body))
        {
            Assert.True(third.RootElement.GetProperty("dht").GetBoolean());
            Assert.False(third.RootElement.TryGetProperty("target", out _));
        }
    }

    [Fact]
    public async Task Not_found_is_null_and_refusals_are_tracker_exceptions()
    {
        var status = HttpStatusCode.NotFound;
        var (client, _, http) = Create((_, _) => Json(status, "{\"error\":\"No DHT node answered.\"}"));
        using var ownedHttp = http;
        using var cts = new CancellationTokenSource(Timeout);
        Assert.Null(await client.PostDhtOfferAsync(null, Offer, cts.Token));

        status = HttpStatusCode.ServiceUnavailable;
        var busy = await Assert.ThrowsAsync<TrackerException>(() => client.PostDhtOfferAsync(null, Offer, cts.Token));
        Assert.True(busy.IsFailureReason);
        Assert.Contains("503", busy.Message, StringComparison.Ordinal);
        Assert.Contains("No DHT node answered.", busy.Message, StringComparison.Ordinal);

        var (plain, _, http2) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent("<html>nope</html>") });
        using var ownedHttp2 = http2;
        var bad = await Assert.ThrowsAsync<TrackerException>(() => plain.PostOfferAsync(new byte[20], Offer, cts.Token));
        Assert.False(bad.IsFailureReason);
        Assert.Contains("400", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"info_hash\":\"aa\",\"peer_id\":\"bb\",\"offer_id\":\"cc\",\"answer\":{\"type\":\"answer\",\"sdp\":\"\"}}")]
    [InlineData("{\"info_hash\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"peer_id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"offer_id\":\"cccccccccccccccccccccccccccccccccccccccc\",\"answer\":\"sdp\"}")]
    [InlineData("{\"info_hash\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"peer_id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"offer_id\":\"cccccccccccccccccccccccccccccccccccccccc\",\"answer\":{\"type\":\"offer\",\"sdp\":\"x\"}}")]
    [InlineData("{\"info_hash\":\"zzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"peer_id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"offer_id\":\"cccccccccccccccccccccccccccccccccccccccc\",\"answer\":{\"type\":\"answer\",\"sdp\":\"x\"}}")]
    public async Task Malformed_answers_are_tracker_exceptions(string body)
    {
        var (client, _, http) = Create((_, _) => Json(HttpStatusCode.OK, body));
        using var ownedHttp = http;
        using var cts = new CancellationTokenSource(Timeout);
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.PostOfferAsync(new byte[20], Offer, cts.Token));
        Assert.False(error.IsFailureReason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Oversized_responses_are_refused_with_or_without_a_content_length(bool declareLength)
    {
        var big = Ok.Replace("v=0\\r\\nY", "v=0\\r\\n" + new string('y', 5000), StringComparison.Ordinal);
        var (client, _, http) = Create((_, _) =>
        {
            var bytes = Encoding.UTF8.GetBytes(big);
            HttpContent content = declareLength ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLengthStream(bytes));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }, maxResponseSize: 4096);
        using var ownedHttp = http;
        using var cts = new CancellationTokenSource(Timeout);
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.PostOfferAsync(new byte[20], Offer, cts.Token));
        Assert.Contains("larger than 4096", error.Message, StringComparison.Ordinal);

        // Just under the limit is accepted.
        var (roomy, _, http2) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(big))) },
            maxResponseSize: Encoding.UTF8.GetByteCount(big));
        using var ownedHttp2 = http2;
        Assert.Equal(5005, (await roomy.PostOfferAsync(new byte[20], Offer, cts.Token))!.Answer.Sdp.Length);
    }

    [Fact]
    public async Task Bad_arguments_and_unreachable_servers()
    {
        Assert.Throws<ArgumentException>(() => new OfferRelayClient(new Uri("ws://tracker.test/offer")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OfferRelayClient(new Uri("http://tracker.test/offer"), maxResponseSize: 0));
        var (client, handler, http) = Create((_, _) => throw new HttpRequestException("connection refused"));
        using var ownedHttp = http;
        using var cts = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAsync<ArgumentException>(() => client.PostOfferAsync(new byte[19], Offer, cts.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PostDhtOfferAsync(new byte[1], Offer, cts.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PostOfferAsync(new byte[20], "{\"type\":", cts.Token));
        Assert.Empty(handler.Requests);
        var unreachable = await Assert.ThrowsAsync<TrackerException>(() => client.PostOfferAsync(new byte[20], Offer, cts.Token));
        Assert.IsType<HttpRequestException>(unreachable.InnerException);
    }

    /// <summary>A body without a Content-Length: the client must count what it reads.</summary>
    private sealed class UnknownLengthStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 1000), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }
    }
}
