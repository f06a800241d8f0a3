using System.Net;
using MagnetUri;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Discovery;

namespace WebTorrent.Tests.Discovery;

/// <summary>
/// BEP 14 local service discovery: message handling (cookie, rate limit, bad input). Two discoveries over real multicast are
/// in Interop.Tests (LocalDiscoveryMulticastTests): multicast needs the test network namespace.
/// </summary>
public class LocalDiscoveryTests
{
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

    internal static DiscoveryTarget Target(int port, byte[]? infoHash = null, bool isPrivate = false) => new()
    {
        InfoHash = infoHash ?? Convert.FromHexString("c9e15763f722f23e98a29decdfae341b98d53056"),
        PeerId = Enumerable.Repeat((byte)port, 20).ToArray(),
        ListenPort = port,
        IsPrivate = isPrivate,
        GetTotals = () => new TransferTotals(0, 0, null),
    };
}
