using System.Net;
using System.Net.Sockets;
using WebTorrent.TestSupport;
using WebTorrent.Tracker;

namespace Interop.Tests.Tracker;

/// <summary>Our HTTP and UDP clients against Debian's opentracker (whitelist mode: the test's info-hashes are whitelisted).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OpenTrackerTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("opentracker-").FullName;
    private ExternalProcess? _tracker;
    private int _port;

    public async Task InitializeAsync()
    {
        TestNetwork.RequireExecutable("/usr/bin/opentracker");
        // opentracker drops root to `nobody` and chroots to the directory: both must be world-readable.
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await File.WriteAllLinesAsync(Path.Combine(_directory, "whitelist.txt"),
            new[] { "http", "udp" }.Select(l => Convert.ToHexStringLower(TrackerClientScenarios.Id("swarm-" + l))));
        File.SetUnixFileMode(Path.Combine(_directory, "whitelist.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var port = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tracker = ExternalProcess.Start("/usr/bin/opentracker", ["-i", "127.0.0.1", "-p", port, "-P", port, "-d", _directory, "-w", "whitelist.txt", "-u", "nobody"], _directory);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await http.GetAsync($"http://127.0.0.1:{port}/stats");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException("opentracker did not start: " + _tracker.StandardError);
    }

    public async Task DisposeAsync()
    {
        if (_tracker is not null) await _tracker.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Http_client_against_opentracker()
    {
        using var client = new HttpTrackerClient(new Uri($"http://127.0.0.1:{_port}/announce"));
        await TrackerClientScenarios.AnnounceAndScrapeAsync(client, "http");
        var refused = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(new AnnounceRequest { InfoHash = TrackerClientScenarios.Id("not-whitelisted"), PeerId = TrackerClientScenarios.Id("p"), Port = 1 }));
        Assert.True(refused.IsFailureReason);
    }

    [Fact]
    public async Task Udp_client_against_opentracker()
    {
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{_port}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromSeconds(2), MaxRetries = 2 });
        await TrackerClientScenarios.AnnounceAndScrapeAsync(client, "udp");
    }
}
