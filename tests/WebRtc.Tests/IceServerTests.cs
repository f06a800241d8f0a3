using System.Net;

namespace WebRtc.Tests;

public class IceServerTests
{
    [Fact]
    public void Strings_still_configure_stun_servers()
    {
        var options = new PeerConnectionOptions { IceServers = ["stun:127.0.0.1:3479", "stun:[::1]"] };
        var (stun, turn) = IceServer.Resolve(options.IceServers);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 3479), new IPEndPoint(IPAddress.IPv6Loopback, 3478)], stun);
        Assert.Empty(turn);
    }

    [Fact]
    public void Turn_urls_take_the_server_credentials()
    {
        var (stun, turn) = IceServer.Resolve(
        [
            new IceServer(["turn:127.0.0.1:3480?transport=udp", "turn:127.0.0.2"], "alice", "s3cret"),
            new IceServer("stun:127.0.0.3:19302"),
        ]);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.3"), 19302)], stun);
        Assert.Equal(2, turn.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 3480), turn[0].EndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 3478), turn[1].EndPoint);
        Assert.All(turn, t => Assert.Equal(("alice", "s3cret"), (t.Username, t.Password)));
        Assert.DoesNotContain("s3cret", turn[0].ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", new IceServer("turn:127.0.0.1", "alice", "s3cret").ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("turn:127.0.0.1")] // no credentials
    [InlineData("turns:127.0.0.1")]
    [InlineData("turn:127.0.0.1?transport=tcp")]
    [InlineData("stun:127.0.0.1:0")]
    [InlineData("stun:127.0.0.1:70000")]
    [InlineData("stun:127.0.0.1:x")]
    [InlineData("http://127.0.0.1")]
    public void Unsupported_or_malformed_urls_are_refused(string url)
    {
        Assert.Throws<ArgumentException>(() => IceServer.Resolve([new IceServer(url)]));
    }
}
