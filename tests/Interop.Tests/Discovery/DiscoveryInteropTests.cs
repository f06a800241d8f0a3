using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Interop.Tests.Bootstrap;
using WebTorrent.Discovery;
using WebTorrent.TestSupport;
using WebTorrent.Tracker;

namespace Interop.Tests.Discovery;

/// <summary>
/// <see cref="PeerDiscovery"/> against real peers on loopback: npm bittorrent-tracker's HTTP and UDP server, our own
/// Bootstrap tracker, and libtorrent's local service discovery.
/// </summary>
public sealed class DiscoveryInteropTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly byte[] InfoHash = Convert.FromHexString("d2474e86c95b19b8bcfdb92bc12c9d44667cfa36");

    [Fact]
    public async Task Two_registrations_find_each_other_through_the_npm_http_tracker()
    {
        await using var server = ExternalProcess.StartNode("tracker-server.mjs");
        using var ready = JsonDocument.Parse(await server.WaitForLineAsync("{\"ready\"", Wait));
        await TwoRegistrationsFindEachOtherAsync(new Uri($"http://127.0.0.1:{ready.RootElement.GetProperty("http").GetInt32()}/announce"));
    }

    [Fact]
    public async Task Two_registrations_find_each_other_through_the_npm_udp_tracker()
    {
        await using var server = ExternalProcess.StartNode("tracker-server.mjs");
        using var ready = JsonDocument.Parse(await server.WaitForLineAsync("{\"ready\"", Wait));
        await TwoRegistrationsFindEachOtherAsync(new Uri($"udp://127.0.0.1:{ready.RootElement.GetProperty("udp").GetInt32()}"));
    }

    [Fact]
    public async Task Two_registrations_find_each_other_through_our_http_and_udp_tracker()
    {
        await using var host = await TrackerTestHost.StartAsync(o => o.MinAnnounceInterval = TimeSpan.FromSeconds(1));
        await TwoRegistrationsFindEachOtherAsync(new Uri(host.HttpUri, "/announce"));
        await TwoRegistrationsFindEachOtherAsync(new Uri($"udp://127.0.0.1:{host.UdpEndPoint.Port}"));
    }

    [Fact]
    public async Task Libtorrent_and_we_find_each_other_by_local_service_discovery()
    {
        TestNetwork.RequireIsolatedNamespace(); // LSD multicasts: only inside the test namespace, on lo
        const string Python = "/usr/bin/python3";
        TestNetwork.RequireExecutable(Python);
        var dir = Directory.CreateTempSubdirectory("wt-lsd-").FullName;
        try
        {
            await using var libtorrent = ExternalProcess.Start(Python, [Path.Combine(RepoPaths.Interop, "discovery-libtorrent.py"), "lsd", dir, Convert.ToHexStringLower(InfoHash)]);
            var libtorrentPort = JsonDocument.Parse(await libtorrent.WaitForLineAsync("{\"event\": \"ready\"", Wait)).RootElement.GetProperty("port").GetInt32();

            // A real listener, so libtorrent's connection attempt has somewhere to go.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var ourPort = ((IPEndPoint)listener.LocalEndpoint).Port;
                await using var discovery = new PeerDiscovery(new PeerDiscoveryOptions
                {
                    EnableTrackers = false,
                    EnableDht = false,
                    LocalDiscoveryInterface = IPAddress.Loopback,
                    LocalDiscoveryMinInterval = TimeSpan.FromSeconds(1),
                });
                await discovery.StartAsync().WaitAsync(Wait);
                Assert.Equal(6771, discovery.LocalDiscovery!.Port);
                var peers = Channel.CreateUnbounded<DiscoveredPeer>();
                await using var announcer = discovery.Register(Target(ourPort), peers.Writer);

                // libtorrent announces on start and then at its interval: we hear it.
                var heard = await WaitForAsync(peers.Reader, p => p.EndPoint.Port == libtorrentPort, announcer);
                Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, libtorrentPort), PeerSource.LocalDiscovery), heard);

                // It hears us (our announce on registering, repeated on request) and dials the port we announced:
                // LSD is its only peer source here, so its handshake for the info-hash proves it.
                using var nudge = new CancellationTokenSource();
                var nudging = Task.Run(async () =>
                {
                    while (!nudge.IsCancellationRequested)
                    {
                        announcer.RequestMorePeers();
                        await Task.Delay(1500, nudge.Token).ContinueWith(_ => { });
                    }
                });
                using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(Wait);
                var handshake = new byte[68];
                await accepted.GetStream().ReadExactlyAsync(handshake).AsTask().WaitAsync(Wait);
                Assert.Equal("BitTorrent protocol"u8.ToArray(), handshake[1..20]);
                Assert.Equal(InfoHash, handshake[28..48]);
                var line = await libtorrent.WaitForLineAsync(l => l.Contains("\"peer\"") && l.Contains($"\"port\": {ourPort}"), Wait);
                await nudge.CancelAsync();
                await nudging;
                var found = JsonDocument.Parse(line).RootElement;
                Assert.Equal("127.0.0.1", found.GetProperty("ip").GetString());
                Assert.True(found.GetProperty("lsd").GetBoolean(), line);
            }
            finally
            {
                listener.Stop();
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task TwoRegistrationsFindEachOtherAsync(Uri tracker)
    {
        var options = new PeerDiscoveryOptions
        {
            EnableDht = false,
            EnableLocalDiscovery = false,
            DefaultTrackerMinInterval = TimeSpan.FromSeconds(1),
            UdpTrackerOptions = new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromSeconds(2), MaxRetries = 2 },
        };
        var failures = new List<string>();
        await using var a = new PeerDiscovery(options);
        await using var b = new PeerDiscovery(options);
        var peersA = Channel.CreateUnbounded<DiscoveredPeer>();
        var peersB = Channel.CreateUnbounded<DiscoveredPeer>();
        var announcerA = a.Register(Target(1111, tracker), peersA.Writer);
        announcerA.SourceFailed += (_, e) => { lock (failures) failures.Add(e.Detail + ": " + e.Error.Message); };
        await using var announcerB = b.Register(Target(2222, tracker), peersB.Writer);
        announcerB.SourceFailed += (_, e) => { lock (failures) failures.Add(e.Detail + ": " + e.Error.Message); };

        var seenByB = await WaitForAsync(peersB.Reader, p => p.EndPoint.Port == 1111, announcerB);
        Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, 1111), PeerSource.Tracker), seenByB);
        var seenByA = await WaitForAsync(peersA.Reader, p => p.EndPoint.Port == 2222, announcerA);
        Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, 2222), PeerSource.Tracker), seenByA);

        // A leaves with "stopped": a newcomer is told about B only.
        await announcerA.DisposeAsync().AsTask().WaitAsync(Wait);
        var peersC = Channel.CreateUnbounded<DiscoveredPeer>();
        await using var announcerC = a.Register(Target(3333, tracker), peersC.Writer);
        await WaitForAsync(peersC.Reader, p => p.EndPoint.Port == 2222, announcerC);
        var rest = new List<DiscoveredPeer>();
        while (peersC.Reader.TryRead(out var peer)) rest.Add(peer);
        Assert.DoesNotContain(rest, p => p.EndPoint.Port == 1111);
        lock (failures) Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static Task<DiscoveredPeer> WaitForAsync(ChannelReader<DiscoveredPeer> reader, Func<DiscoveredPeer, bool> match, ITorrentAnnouncer announcer) =>
        WebTorrent.Tests.Discovery.DiscoveryWait.ForPeerAsync(reader, match, announcer, Wait, TimeSpan.FromSeconds(1.5));

    private static DiscoveryTarget Target(int port, Uri? tracker = null) => new()
    {
        InfoHash = InfoHash,
        PeerId = Enumerable.Range(0, 20).Select(i => (byte)(port + i)).ToArray(),
        ListenPort = port,
        TrackerTiers = tracker is null ? [] : [[tracker]],
        GetTotals = () => new TransferTotals(0, 0, 1000),
    };
}
