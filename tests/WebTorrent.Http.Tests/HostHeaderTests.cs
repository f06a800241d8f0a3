namespace WebTorrent.Http.Tests;

/// <summary>
/// Audit finding 8 (issue 18): the file server answered any Host header, so a web page whose DNS name was rebound to
/// 127.0.0.1 could read the user's torrents through the victim's browser. Only hosts that name this machine (or the
/// configured <see cref="TorrentHttpOptions.AllowedHosts"/>) are served; others get 421.
/// </summary>
public sealed class HostHeaderTests
{
    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST")]
    [InlineData("localhost.")]
    [InlineData("player.localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("127.1.2.3")]
    [InlineData("[::1]")]
    [InlineData("[::1]:{port}")]
    public async Task Hosts_naming_this_machine_are_served(string host)
    {
        await using var server = await StartAsync();
        Assert.Equal(200, await StatusAsync(server, host));
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:{port}")]
    [InlineData("localhost.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("10.0.0.1")]
    public async Task Other_hosts_are_misdirected(string host)
    {
        await using var server = await StartAsync();
        Assert.Equal(421, await StatusAsync(server, host));
        Assert.Equal(421, await server.RawStatusAsync(server.Server.BaseAddress.AbsolutePath + "0123456789abcdef0123456789abcdef01234567/0",
            $"Host: {host.Replace("{port}", Port(server), StringComparison.Ordinal)}\r\n"));
    }

    [Fact]
    public async Task A_request_without_a_host_is_refused()
    {
        await using var server = await StartAsync();
        Assert.Equal(400, await server.RawStatusAsync(server.Server.BaseAddress.AbsolutePath, "Host: \r\n"));
    }

    [Fact]
    public async Task Configured_hosts_are_served_and_others_still_refused()
    {
        await using var server = await StartAsync(["media.example", "*.cdn.example"]);
        Assert.Equal(200, await StatusAsync(server, "media.example"));
        Assert.Equal(200, await StatusAsync(server, "MEDIA.EXAMPLE:{port}"));
        Assert.Equal(200, await StatusAsync(server, "a.cdn.example"));
        Assert.Equal(421, await StatusAsync(server, "cdn.example"));
        Assert.Equal(421, await StatusAsync(server, "media.example.attacker.example"));
        Assert.Equal(200, await StatusAsync(server, "localhost"));
    }

    [Fact]
    public async Task A_star_serves_every_host()
    {
        await using var server = await StartAsync(["*"]);
        Assert.Equal(200, await StatusAsync(server, "attacker.example"));
    }

    private static async Task<TestServer> StartAsync(string[]? allowedHosts = null)
    {
        var catalog = new FakeCatalog();
        catalog.Add("t", ("t/a.txt", "hello"u8.ToArray()));
        var http = allowedHosts is null ? new TorrentHttpOptions() : new TorrentHttpOptions { AllowedHosts = allowedHosts };
        return await TestServer.StartAsync(catalog, new TorrentHttpServerOptions { Http = http });
    }

    private static string Port(TestServer server) => server.Server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Task<int> StatusAsync(TestServer server, string host) =>
        server.RawStatusAsync(server.Server.BaseAddress.AbsolutePath, $"Host: {host.Replace("{port}", Port(server), StringComparison.Ordinal)}\r\n");
}
