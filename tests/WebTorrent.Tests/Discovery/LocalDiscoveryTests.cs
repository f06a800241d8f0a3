using System.Net;
using System.Threading.Channels;
using MagnetUri;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Discovery;
using WebTorrent.TestSupport;

namespace WebTorrent.Tests.Discovery;

/// <summary>BEP 14 local service discovery: message handling (cookie, rate limit, bad input) and two discoveries over real multicast.</summary>
public class LocalDiscoveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly InfoHash Hash = InfoHash.Parse("c9e15763f722f23e98a29decdfae341b98d53056");

    [Fact]
    public async Task Received_messages_reach_the_registered_torrent_are_rate_limited_and_our_own_are_ignored()
    {
        var time = new FakeTimeProvider();
        await using var lsd = new LocalServiceDiscovery(new PeerDiscoveryOptions { TimeProvider = time, LocalDiscoveryMaxMessagesPerSecond = 10 });
        var found = new List<IPEndPoint>();
        using var registration = lsd.Register(Hash, listenPort: 0, p => { lock (found) found.Add(p); });
        var other = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");
        var source = new IPEndPoint(IPAddress.Parse("192.168.1.20"), 6771);

        lsd.Handle(new LsdMessage("239.192.152.143:6771", 5000, [other, Hash], "theirs").ToArray(), source);
        lsd.Handle(new LsdMessage("239.192.152.143:6771", 5001, [Hash], lsd.Cookie).ToArray(), source);
        lsd.Handle(new LsdMessage("239.192.152.143:6771", 5002, [other], "theirs").ToArray(), source);
        lsd.Handle("BT-SEARCH * HTTP/1.1\r\nPort: x\r\n\r\n"u8, source);
        Assert.Equal([new IPEndPoint(source.Address, 5000)], found);
        Assert.Equal(2, lsd.MessagesReceived);
        Assert.Equal(1, lsd.MessagesDropped);
        Assert.Equal(1, lsd.OwnMessages);

        // A flood: a burst of twice the rate, then the rate per second.
        var flood = new LsdMessage("239.192.152.143:6771", 6000, [Hash], "flood").ToArray();
        for (var i = 0; i < 100; i++) lsd.Handle(flood, source);
        var afterBurst = found.Count;
        Assert.InRange(afterBurst, 1 + 15, 1 + 20);
        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 100; i++) lsd.Handle(flood, source);
        Assert.InRange(found.Count - afterBurst, 9, 11);
    }

    [Fact]
    public async Task Two_discoveries_find_each_other_by_multicast_on_loopback()
    {
        // Multicast must never leave the machine: this runs in the test network namespace (eng/test.sh), on lo.
        TestNetwork.RequireIsolatedNamespace("This test sends BEP 14 multicast announces");
        await using var a = new PeerDiscovery(Options(0));
        await a.StartAsync().WaitAsync(Wait);
        Assert.NotNull(a.LocalDiscovery);
        var port = a.LocalDiscovery!.Port;
        Assert.NotEqual(0, port);
        await using var b = new PeerDiscovery(Options(port));
        await b.StartAsync().WaitAsync(Wait);
        Assert.Equal(port, b.LocalDiscovery!.Port);

        // Garbage and oversized datagrams first: dropped, and the receive loops carry on.
        using (var junk = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            await junk.SendAsync(new byte[] { 0, 1, 2 }, new IPEndPoint(IPAddress.Loopback, port));
            await junk.SendAsync(new byte[5000], new IPEndPoint(IPAddress.Loopback, port));
            await junk.SendAsync("BT-SEARCH * HTTP/1.1\r\nPort: 99999\r\n\r\n"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        }
        var peersA = Channel.CreateUnbounded<DiscoveredPeer>();
        var peersB = Channel.CreateUnbounded<DiscoveredPeer>();
        await using var announcerA = a.Register(Target(1111), peersA.Writer);
        await using var announcerB = b.Register(Target(2222), peersB.Writer);

        // B announced on registering, after A joined: A hears it. A announced before B joined, so A announces again.
        var heardByA = await WaitForAsync(peersA.Reader, 2222, announcerA);
        Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, 2222), PeerSource.LocalDiscovery), heardByA);
        var heardByB = await WaitForAsync(peersB.Reader, 1111, announcerA);
        Assert.Equal(IPAddress.Loopback, heardByB.EndPoint.Address);

        // A private torrent is never announced on the local network.
        var privatePeers = Channel.CreateUnbounded<DiscoveredPeer>();
        var privateHash = Enumerable.Repeat((byte)9, 20).ToArray();
        await using var privateA = a.Register(Target(3333, privateHash, isPrivate: true), Channel.CreateUnbounded<DiscoveredPeer>().Writer);
        await using var privateB = b.Register(Target(4444, privateHash, isPrivate: true), privatePeers.Writer);
        privateA.RequestMorePeers();
        announcerA.RequestMorePeers();
        await WaitForAsync(peersB.Reader, 1111, announcerA);
        Assert.False(privatePeers.Reader.TryRead(out _));
        Assert.True(a.LocalDiscovery.MessagesDropped + b.LocalDiscovery.MessagesDropped >= 2, "the junk was seen and dropped");
        Assert.True(a.LocalDiscovery.OwnMessages > 0, "multicast loopback brings our own announces back; the cookie drops them");
    }

    private static Task<DiscoveredPeer> WaitForAsync(ChannelReader<DiscoveredPeer> reader, int port, ITorrentAnnouncer nudge) =>
        DiscoveryWait.ForPeerAsync(reader, p => p.EndPoint.Port == port && p.EndPoint.Address.Equals(IPAddress.Loopback), nudge, Wait,
            TimeSpan.FromMilliseconds(500));

    internal static PeerDiscoveryOptions Options(int lsdPort) => new()
    {
        EnableTrackers = false,
        EnableDht = false,
        LocalDiscoveryPort = lsdPort,
        LocalDiscoveryInterface = IPAddress.Loopback,
        LocalDiscoveryMinInterval = TimeSpan.Zero,
    };

    internal static DiscoveryTarget Target(int port, byte[]? infoHash = null, bool isPrivate = false) => new()
    {
        InfoHash = infoHash ?? Convert.FromHexString("c9e15763f722f23e98a29decdfae341b98d53056"),
        PeerId = Enumerable.Repeat((byte)port, 20).ToArray(),
        ListenPort = port,
        IsPrivate = isPrivate,
        GetTotals = () => new TransferTotals(0, 0, null),
    };
}
