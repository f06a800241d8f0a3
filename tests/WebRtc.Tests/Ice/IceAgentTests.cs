using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Ice;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Ice;

public class IceAgentTests
{
    private static IceAgentOptions Options(VirtualNetwork net, FakeTimeProvider time, string address) => new()
    {
        TimeProvider = time,
        SocketFactory = new VirtualUdpFactory(net),
        LocalAddresses = [IPAddress.Parse(address)],
    };

    private static async Task<(IceAgent A, IceAgent B)> ConnectAsync(VirtualNetwork net, FakeTimeProvider time, bool giveBCandidatesOfA = true,
        IceRole roleA = IceRole.Controlling, IceRole roleB = IceRole.Controlled, IceAgentOptions? optionsB = null)
    {
        var a = new IceAgent(Options(net, time, "10.0.0.1"));
        var b = new IceAgent(optionsB ?? Options(net, time, "10.0.0.2"));
        await a.GatherAsync();
        await b.GatherAsync();
        a.SetRemoteCredentials(b.LocalUsernameFragment, b.LocalPassword);
        b.SetRemoteCredentials(a.LocalUsernameFragment, a.LocalPassword);
        foreach (var c in b.LocalCandidates) a.AddRemoteCandidate(c);
        if (giveBCandidatesOfA) foreach (var c in a.LocalCandidates) b.AddRemoteCandidate(c);
        a.StartChecks(roleA);
        b.StartChecks(roleB);
        await Clock.RunUntilAsync(time, () => a.State == IceConnectionState.Connected && b.State == IceConnectionState.Connected, TimeSpan.FromSeconds(30));
        return (a, b);
    }

    [Fact]
    public async Task Two_agents_connect_and_carry_dtls_range_datagrams()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time);
        await using var _ = a;
        await using var __ = b;
        Assert.Equal(IPAddress.Parse("10.0.0.2"), a.SelectedPair!.RemoteEndPoint.Address);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), b.SelectedPair!.RemoteEndPoint.Address);
        var datagram = new byte[] { 22, 1, 2, 3 }; // first byte 22: DTLS handshake range
        await a.Transport.SendAsync(datagram);
        var buffer = new byte[2048];
        var receive = b.Transport.ReceiveAsync(buffer).AsTask();
        await Clock.RunUntilAsync(time, () => receive.IsCompleted, TimeSpan.FromSeconds(1));
        Assert.Equal(datagram, buffer.AsSpan(0, await receive).ToArray());
    }

    [Fact]
    public async Task Connects_over_a_hostile_network()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time, seed: 7) { DefaultConditions = NetworkConditions.Hostile };
        var (a, b) = await ConnectAsync(net, time);
        await using var _ = a;
        await using var __ = b;
        Assert.NotNull(a.SelectedPair);
        Assert.True(net.Dropped > 0 || net.Duplicated > 0 || net.Sent > 4);
    }

    [Fact]
    public async Task Learns_a_peer_reflexive_candidate_when_the_controlled_side_has_no_remote_candidates()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time, giveBCandidatesOfA: false);
        await using var _ = a;
        await using var __ = b;
        Assert.Equal(IceCandidateType.PeerReflexive, b.SelectedPair!.RemoteType);
    }

    [Fact]
    public async Task Role_conflict_is_resolved_when_both_start_controlling()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time, roleA: IceRole.Controlling, roleB: IceRole.Controlling);
        await using var _ = a;
        await using var __ = b;
        Assert.NotEqual(a.Role, b.Role);
    }

    [Fact]
    public async Task Role_conflict_is_resolved_when_both_start_controlled()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time, roleA: IceRole.Controlled, roleB: IceRole.Controlled);
        await using var _ = a;
        await using var __ = b;
        Assert.NotEqual(a.Role, b.Role);
    }

    [Fact]
    public async Task Consent_loss_fails_the_connection()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time);
        await using var _ = a;
        await b.DisposeAsync(); // the peer vanishes: no more consent responses
        var states = new List<IceConnectionState>();
        a.StateChanged += (_, s) => states.Add(s);
        await Clock.RunUntilAsync(time, () => a.State == IceConnectionState.Failed, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(100));
        Assert.Equal([IceConnectionState.Disconnected, IceConnectionState.Failed], states);
    }

    [Fact]
    public async Task Consent_keeps_a_healthy_connection_alive()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        var (a, b) = await ConnectAsync(net, time);
        await using var _ = a;
        await using var __ = b;
        var end = time.GetUtcNow() + TimeSpan.FromSeconds(60);
        await Clock.RunUntilAsync(time, () => time.GetUtcNow() >= end, TimeSpan.FromSeconds(61), TimeSpan.FromMilliseconds(100));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
    }

    [Fact]
    public async Task Wrong_password_never_connects()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        await using var a = new IceAgent(Options(net, time, "10.0.0.1") with { ConnectTimeout = TimeSpan.FromSeconds(5) });
        await using var b = new IceAgent(Options(net, time, "10.0.0.2") with { ConnectTimeout = TimeSpan.FromSeconds(5) });
        await a.GatherAsync();
        await b.GatherAsync();
        a.SetRemoteCredentials(b.LocalUsernameFragment, "not-the-password-at-all!");
        b.SetRemoteCredentials(a.LocalUsernameFragment, a.LocalPassword);
        foreach (var c in b.LocalCandidates) a.AddRemoteCandidate(c);
        a.StartChecks(IceRole.Controlling);
        b.StartChecks(IceRole.Controlled);
        await Clock.RunUntilAsync(time, () => a.State == IceConnectionState.Failed, TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<IceException>(() => a.WaitConnectedAsync());
    }

    [Fact]
    public async Task Gathers_server_reflexive_candidate_from_a_stun_server()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        using var server = net.Bind(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 3478));
        var serving = Task.Run(async () =>
        {
            var d = await server.ReceiveAsync();
            var request = StunMessage.Parse(d.Payload);
            var buffer = new byte[128];
            var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, request.TransactionId);
            // Pretend a NAT maps the agent to 198.51.100.7:5555.
            w.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 5555));
            w.AddFingerprint();
            server.Send(w.Written, d.From);
        });
        await using var a = new IceAgent(Options(net, time, "10.0.0.1") with { StunServers = [server.LocalEndPoint] });
        var gathering = a.GatherAsync();
        await Clock.RunUntilAsync(time, () => gathering.IsCompleted, TimeSpan.FromSeconds(5));
        await serving;
        var srflx = Assert.Single(a.LocalCandidates, c => c.Type == IceCandidateType.ServerReflexive);
        Assert.Equal("198.51.100.7", srflx.Address);
        Assert.Equal("10.0.0.1", srflx.RelatedAddress);
    }
}
