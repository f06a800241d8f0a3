using System.Text.Json;
using WebTorrent.TestSupport;
using WebTorrent.Tracker;

namespace Interop.Tests.Tracker;

/// <summary>Our tracker clients (HTTP, UDP, WebSocket) against npm bittorrent-tracker's server.</summary>
public sealed class NpmTrackerServerTests : IAsyncLifetime
{
    private ExternalProcess? _server;
    private int _httpPort;
    private int _udpPort;

    public async Task InitializeAsync()
    {
        _server = ExternalProcess.StartNode("tracker-server.mjs");
        var ready = await _server.WaitForLineAsync("{\"ready\"", TimeSpan.FromSeconds(30));
        using var json = JsonDocument.Parse(ready);
        _httpPort = json.RootElement.GetProperty("http").GetInt32();
        _udpPort = json.RootElement.GetProperty("udp").GetInt32();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task Http_client_announces_and_scrapes()
    {
        using var client = new HttpTrackerClient(new Uri($"http://127.0.0.1:{_httpPort}/announce"));
        await TrackerClientScenarios.AnnounceAndScrapeAsync(client, "http");
    }

    [Fact]
    public async Task Udp_client_announces_and_scrapes()
    {
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{_udpPort}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromSeconds(2), MaxRetries = 2 });
        await TrackerClientScenarios.AnnounceAndScrapeAsync(client, "udp");
    }

    [Fact]
    public async Task WebSocket_client_exchanges_offer_and_answer_through_the_npm_relay()
    {
        await TrackerClientScenarios.WebSocketRelayAsync(new Uri($"ws://127.0.0.1:{_httpPort}"));
    }
}
