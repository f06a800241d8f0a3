using System.Text.Json;
using Interop.Tests.Bootstrap;
using WebTorrent.TestSupport;

namespace Interop.Tests.Tracker;

/// <summary>npm bittorrent-tracker's Client (HTTP, UDP, WebSocket with node-datachannel WebRTC) against our server.</summary>
public sealed class NodeClientsAgainstOurServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string InfoHash = "0123456789abcdef0123456789abcdef01234567";

    private static ExternalProcess StartClient(string url, string peerIdHex, int port) =>
        ExternalProcess.StartNode("tracker-client.mjs", url, InfoHash, peerIdHex, port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string PeerId(char c) => Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(new string(c, 20)));

    [Theory]
    [InlineData("http", true)]
    [InlineData("http", false)]
    [InlineData("udp", true)]
    public async Task Node_clients_find_each_other(string scheme, bool fastPath)
    {
        await using var host = await TrackerTestHost.StartAsync(fastPath: fastPath);
        var url = scheme == "http" ? new Uri(host.HttpUri, "/announce").ToString() : $"udp://127.0.0.1:{host.UdpEndPoint.Port}";
        await using var first = StartClient(url, PeerId('a'), 7001);
        var update = await first.WaitForLineAsync(l => l.Contains("\"update\"", StringComparison.Ordinal), Timeout);
        Assert.Contains("\"complete\":1", update, StringComparison.Ordinal);

        await using var second = StartClient(url, PeerId('b'), 7002);
        var peer = await second.WaitForLineAsync(l => l.Contains("\"peer\"", StringComparison.Ordinal), Timeout);
        Assert.Contains("127.0.0.1:7001", peer, StringComparison.Ordinal);

        await second.WriteLineAsync("scrape");
        var scrape = await second.WaitForLineAsync(l => l.Contains("\"scrape\"", StringComparison.Ordinal), Timeout);
        using var json = JsonDocument.Parse(scrape);
        Assert.Equal(2, json.RootElement.GetProperty("complete").GetInt32());
        // (infoHash is not compared: the npm client decodes non-UTF-8 bencoded keys as text.)
        Assert.DoesNotContain("\"error\"", first.StandardOutput + second.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Node_webrtc_clients_connect_through_our_websocket_relay(bool fastPath)
    {
        // node-datachannel gathers non-loopback candidates: WebRTC stays inside the isolated namespace.
        TestNetwork.RequireIsolatedNamespace();
        await using var host = await TrackerTestHost.StartAsync(fastPath: fastPath);
        await using var first = StartClient(host.WebSocketUrl, PeerId('c'), 6000);
        await first.WaitForLineAsync(l => l.Contains("\"update\"", StringComparison.Ordinal), Timeout);
        await using var second = StartClient(host.WebSocketUrl, PeerId('d'), 6001);
        await second.WaitForLineAsync(l => l.Contains("\"webrtc\":true", StringComparison.Ordinal), Timeout);
        var data = await second.WaitForLineAsync(l => l.Contains("\"data\"", StringComparison.Ordinal), Timeout);
        Assert.Contains("hello from 63636363", data, StringComparison.Ordinal);
        var stats = host.Tracker.GetStats();
        Assert.True(stats.OffersRelayed >= 1 && stats.AnswersRelayed >= 1, stats.ToString());
    }
}
