using System.Net.Sockets;
using System.Text;

namespace WebTorrent.Http.Tests;

/// <summary>A <see cref="TorrentHttpServer"/> on 127.0.0.1 port 0 over a <see cref="FakeCatalog"/>, and a client for it.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private TestServer(FakeCatalog catalog, TorrentHttpServer server)
    {
        Catalog = catalog;
        Server = server;
        Client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, AutomaticDecompression = System.Net.DecompressionMethods.None })
        {
            BaseAddress = server.BaseAddress,
            Timeout = Timeout,
        };
    }

    public FakeCatalog Catalog { get; }
    public TorrentHttpServer Server { get; }
    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(FakeCatalog catalog, TorrentHttpServerOptions? options = null)
    {
        var server = new TorrentHttpServer(catalog, options);
        using var cts = new CancellationTokenSource(Timeout);
        await server.StartAsync(cts.Token);
        return new TestServer(catalog, server);
    }

    public static CancellationToken TimeoutToken() => new CancellationTokenSource(Timeout).Token;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, Action<HttpRequestMessage>? configure = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(method, relative);
        configure?.Invoke(request);
        return await Client.SendAsync(request, completion, TimeoutToken());
    }

    public Task<HttpResponseMessage> GetAsync(string relative, Action<HttpRequestMessage>? configure = null) => SendAsync(HttpMethod.Get, relative, configure);

    /// <summary>
    /// Sends a request line and Host header verbatim (HttpClient would normalise dot segments away, and always sends
    /// its own Host) and returns the status code.
    /// </summary>
    public async Task<int> RawStatusAsync(string target, string hostHeader = "Host: localhost\r\n")
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(Timeout);
        await tcp.ConnectAsync(Server.LocalEndPoint, cts.Token);
        var stream = tcp.GetStream();
        var request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\n{hostHeader}Connection: close\r\n\r\n");
        await stream.WriteAsync(request, cts.Token);
        var buffer = new byte[256];
        var length = 0;
        while (length < 12)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), cts.Token);
            if (n == 0) break;
            length += n;
        }
        var line = Encoding.ASCII.GetString(buffer, 0, length);
        Assert.StartsWith("HTTP/1.1 ", line);
        return int.Parse(line.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after the test timeout.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
