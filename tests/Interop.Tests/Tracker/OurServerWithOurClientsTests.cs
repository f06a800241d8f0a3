using Interop.Tests.Bootstrap;
using WebTorrent.Tracker;

namespace Interop.Tests.Tracker;

/// <summary>The same client scenarios against our Bootstrap server (HTTP, UDP and WebSocket endpoints on shared swarms).</summary>
public sealed class OurServerWithOurClientsTests
{
    [Fact]
    public async Task Http_udp_and_websocket_clients_against_our_server()
    {
        await using var host = await TrackerTestHost.StartAsync();
        using (var http = new HttpTrackerClient(new Uri(host.HttpUri, "/announce")))
            await TrackerClientScenarios.AnnounceAndScrapeAsync(http, "http");
        using (var udp = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{host.UdpEndPoint.Port}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromSeconds(2), MaxRetries = 2 }))
            await TrackerClientScenarios.AnnounceAndScrapeAsync(udp, "udp");
        await TrackerClientScenarios.WebSocketRelayAsync(new Uri(host.WebSocketUrl));
    }
}

public sealed class OurServerFailureTests
{
    [Fact]
    public async Task Failure_reason_surfaces_as_TrackerException_over_http_udp_and_websocket()
    {
        await using var host = await TrackerTestHost.StartAsync(o => o.MaxSwarms = 1);
        var first = new AnnounceRequest { InfoHash = TrackerClientScenarios.Id("one"), PeerId = TrackerClientScenarios.Id("peer"), Port = 1000, Event = TrackerEvent.Started };
        var second = first with { InfoHash = TrackerClientScenarios.Id("two") };
        using var http = new HttpTrackerClient(new Uri(host.HttpUri, "/announce"));
        await http.AnnounceAsync(first);
        var e = await Assert.ThrowsAsync<TrackerException>(() => http.AnnounceAsync(second));
        Assert.True(e.IsFailureReason);
        Assert.Contains("too many swarms", e.Message, StringComparison.Ordinal);

        using var udp = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{host.UdpEndPoint.Port}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromSeconds(2), MaxRetries = 2 });
        e = await Assert.ThrowsAsync<TrackerException>(() => udp.AnnounceAsync(second));
        Assert.True(e.IsFailureReason);

        await using var ws = new WebSocketTrackerClient(new Uri(host.WebSocketUrl), new FakePeerFactory("x"));
        e = await Assert.ThrowsAsync<TrackerException>(() => ws.AnnounceAsync(second with { NumWant = 0 }));
        Assert.True(e.IsFailureReason);
    }
}
