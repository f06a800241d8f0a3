using System.Net;
using System.Threading.Channels;
using WebTorrent.Dht;
using WebTorrent.Dht.Transport;
using WebTorrent.Discovery;

namespace WebTorrent.Tests.Discovery;

/// <summary>Two discoveries with the DHT on loopback find each other through a third node used as their bootstrap.</summary>
public class DhtDiscoveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Two_discoveries_find_each_other_through_a_bootstrap_node_and_private_torrents_stay_off_the_dht()
    {
        await using var bootstrap = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        await bootstrap.StartAsync().WaitAsync(Wait);
        var bootstrapEndPoint = (IPEndPoint)bootstrap.LocalEndPoint;

        var failures = new List<PeerDiscoveryErrorEventArgs>();
        await using var a = new PeerDiscovery(Options(bootstrapEndPoint));
        await using var b = new PeerDiscovery(Options(bootstrapEndPoint));
        a.Failed += (_, e) => { lock (failures) failures.Add(e); };
        b.Failed += (_, e) => { lock (failures) failures.Add(e); };
        await a.StartAsync().WaitAsync(Wait);
        await b.StartAsync().WaitAsync(Wait);
        Assert.Equal(IPAddress.Loopback, a.DhtEndPoint!.Address);
        Assert.NotEqual(a.DhtEndPoint.Port, b.DhtEndPoint!.Port);

        var publicHash = Convert.FromHexString("c9e15763f722f23e98a29decdfae341b98d53056");
        var privateHash = Convert.FromHexString("0123456789abcdef0123456789abcdef01234567");
        var peersA = Channel.CreateUnbounded<DiscoveredPeer>();
        var peersB = Channel.CreateUnbounded<DiscoveredPeer>();
        await using var announcerA = a.Register(LocalDiscoveryTests.Target(1111, publicHash), peersA.Writer);
        await using var announcerB = b.Register(LocalDiscoveryTests.Target(2222, publicHash), peersB.Writer);
        await using var privateA = a.Register(LocalDiscoveryTests.Target(3333, privateHash, isPrivate: true), Channel.CreateUnbounded<DiscoveredPeer>().Writer);

        var foundByA = await WaitForAsync(peersA.Reader, 2222, announcerA);
        Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, 2222), PeerSource.Dht), foundByA);
        var foundByB = await WaitForAsync(peersB.Reader, 1111, announcerB);
        Assert.Equal(PeerSource.Dht, foundByB.Source);

        // The public torrent was announced to the bootstrap node with our TCP ports; the private one never was.
        Assert.Contains(bootstrap.GetStoredPeers(new NodeId(publicHash)), p => p.Port == 1111);
        Assert.Empty(bootstrap.GetStoredPeers(new NodeId(privateHash)));
        Assert.Empty(a.Dht!.GetStoredPeers(new NodeId(privateHash)));
        Assert.Empty(b.Dht!.GetStoredPeers(new NodeId(privateHash)));
        lock (failures) Assert.Empty(failures);
    }

    [Fact]
    public async Task A_bootstrap_name_that_does_not_resolve_is_an_event_and_the_node_still_runs()
    {
        var failures = Channel.CreateUnbounded<PeerDiscoveryErrorEventArgs>();
        await using var discovery = new PeerDiscovery(new PeerDiscoveryOptions
        {
            EnableTrackers = false,
            EnableLocalDiscovery = false,
            DhtBindAddress = IPAddress.Loopback,
            DhtBootstrapNodes = [new DnsEndPoint("no-such-host.invalid", 6881)],
            // No real DNS in tests: the resolver fails as a missing name does.
            HostResolver = (_, _) => Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound)),
        });
        discovery.Failed += (_, e) => failures.Writer.TryWrite(e);
        await discovery.StartAsync().WaitAsync(Wait);
        var failure = await failures.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(PeerSource.Dht, failure.Source);
        Assert.Equal("bootstrap no-such-host.invalid", failure.Detail);
        var peers = Channel.CreateUnbounded<DiscoveredPeer>();
        await using var announcer = discovery.Register(LocalDiscoveryTests.Target(1111), peers.Writer);
        // The node is up (it answers pings) even though it knows nobody.
        await using var probe = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        await probe.StartAsync().WaitAsync(Wait);
        var start = DateTime.UtcNow;
        while (discovery.Dht is null && DateTime.UtcNow - start < Wait) await Task.Delay(50);
        Assert.NotNull(await probe.PingAsync(discovery.DhtEndPoint!, CancellationToken.None).WaitAsync(Wait));
    }

    private static PeerDiscoveryOptions Options(IPEndPoint bootstrap) => new()
    {
        EnableTrackers = false,
        EnableLocalDiscovery = false,
        DhtBindAddress = IPAddress.Loopback,
        DhtPort = 0,
        DhtBootstrapNodes = [bootstrap],
        DhtMinLookupInterval = TimeSpan.Zero,
    };

    private static Task<DiscoveredPeer> WaitForAsync(ChannelReader<DiscoveredPeer> reader, int port, ITorrentAnnouncer announcer) =>
        DiscoveryWait.ForPeerAsync(reader, p => p.EndPoint.Port == port, announcer, Wait, TimeSpan.FromSeconds(1));
}
