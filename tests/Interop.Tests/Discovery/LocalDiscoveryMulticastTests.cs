using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using WebTorrent.Discovery;
using WebTorrent.TestSupport;
using WebTorrent.Tests.Discovery;

namespace Interop.Tests.Discovery;

/// <summary>
/// BEP 14 local service discovery over real multicast: two <see cref="PeerDiscovery"/> instances on lo. It lives here,
/// not in WebTorrent.Tests, because multicast must never leave the machine: it runs only in eng/test.sh's namespace.
/// </summary>
public sealed class LocalDiscoveryMulticastTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_discoveries_find_each_other_by_multicast_on_loopback()
    {
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
        using (var junk = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
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

    // Only local discovery, on lo, announcing as often as asked.
    private static PeerDiscoveryOptions Options(int lsdPort) => new()
    {
        EnableTrackers = false,
        EnableDht = false,
        LocalDiscoveryPort = lsdPort,
        LocalDiscoveryInterface = IPAddress.Loopback,
        LocalDiscoveryMinInterval = TimeSpan.Zero,
    };

    private static DiscoveryTarget Target(int port, byte[]? infoHash = null, bool isPrivate = false) => new()
    {
        InfoHash = infoHash ?? Convert.FromHexString("c9e15763f722f23e98a29decdfae341b98d53056"),
        PeerId = Enumerable.Repeat((byte)port, 20).ToArray(),
        ListenPort = port,
        IsPrivate = isPrivate,
        GetTotals = () => new TransferTotals(0, 0, null),
    };
}
