using System.Net;
using System.Net.Http.Headers;

namespace WebTorrent.Tests.Engine;

public sealed class WebSeedEngineTests
{
    [Fact]
    public async Task A_torrent_downloads_from_its_web_seed_alone_and_a_lying_web_seed_cannot_corrupt_it()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("ws", 17, ("a.bin", 300_000), ("dir/b.bin", 55_555));
        var created = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 32 * 1024, UrlList = ["http://good.test/", "http://liar.test/"] });
        using var http = new HttpClient(new RangeServer(files));
        var leech = await swarm.Client(new WebTorrentClientOptions { ListenPort = null, WebSeedHttpClient = http }).AddAsync(created.Metainfo!);
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "ws"));
        Assert.True(leech.Downloaded >= leech.Length);
    }

    /// <summary>Serves the files by HTTP range requests under http://good.test/ws/...; http://liar.test/ serves garbage.</summary>
    private sealed class RangeServer(Dictionary<string, byte[]> files) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var relative = Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/');
            if (!relative.StartsWith("ws/", StringComparison.Ordinal) || !files.TryGetValue(relative[3..], out var content))
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
            var range = request.Headers.Range?.Ranges.Single();
            var from = range?.From ?? 0;
            var to = range?.To ?? content.Length - 1;
            var body = content.AsSpan((int)from, (int)(to - from + 1)).ToArray();
            if (uri.Host == "liar.test") Array.Reverse(body);
            var response = new HttpResponseMessage(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent) { Content = new ByteArrayContent(body) };
            if (range is not null) response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, content.Length);
            return Task.FromResult(response);
        }
    }
}
