using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Ice;
using WebRtc.Ice.Turn;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Ice.Turn;

public class TurnClientTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("10.9.0.7"), 6000);

    [Fact]
    public async Task Allocates_after_the_401_challenge_and_signs_with_the_nonce()
    {
        await using var h = await Harness.AllocatedAsync();
        var requests = h.Server.Requests.ToArray();
        Assert.Equal((StunMethod.Allocate, false), (requests[0].Method, requests[0].Signed));
        Assert.Equal((StunMethod.Allocate, true, "nonce-0"), (requests[1].Method, requests[1].Signed, requests[1].Nonce));
        Assert.Equal(TimeSpan.FromMinutes(10), requests[1].Lifetime);
        Assert.Equal(TurnAllocationState.Allocated, h.Client.State);
        Assert.Equal(h.Server.RelayedEndPoint, h.Client.RelayedEndPoint);
        Assert.Equal(h.Server.RelayedEndPoint, h.Relay.LocalEndPoint);
        Assert.Equal(IPAddress.Parse("10.9.0.2"), h.Client.MappedEndPoint!.Address);
        Assert.Equal(TimeSpan.FromMinutes(10), h.Client.Lifetime);
    }

    [Fact]
    public async Task Wrong_password_fails_after_one_retry()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        using var server = new FakeTurnServer(net);
        await using var client = new TurnClient(server.Server with { Password = "wrong" }, new TurnClientOptions { TimeProvider = time }, new VirtualUdpFactory(net), IPAddress.Parse("10.9.0.2"));
        var allocating = client.AllocateAsync();
        await Clock.RunUntilAsync(time, () => allocating.IsCompleted, TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<TurnException>(() => allocating);
        Assert.Equal(401, e.ErrorCode);
        Assert.Equal(2, server.Count(StunMethod.Allocate));
        Assert.Equal(TurnAllocationState.Failed, client.State);
    }

    [Fact]
    public async Task Refreshes_the_allocation_a_minute_before_it_expires_or_at_half_a_short_lifetime()
    {
        await using var h = await Harness.AllocatedAsync();
        await h.AdvanceAsync(TimeSpan.FromSeconds(538));
        Assert.Equal(0, h.Server.Count(StunMethod.Refresh));
        await h.AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(1, h.Server.Count(StunMethod.Refresh));
        Assert.Equal(TimeSpan.FromMinutes(10), h.Server.Requests.Last().Lifetime);

        h.Server.MaxLifetime = TimeSpan.FromSeconds(30);
        await h.AdvanceAsync(TimeSpan.FromSeconds(540));
        Assert.Equal(2, h.Server.Count(StunMethod.Refresh));
        Assert.Equal(TimeSpan.FromSeconds(30), h.Client.Lifetime);
        await h.AdvanceAsync(TimeSpan.FromSeconds(16));
        Assert.Equal(3, h.Server.Count(StunMethod.Refresh));
        Assert.Equal(TurnAllocationState.Allocated, h.Client.State);
    }

    [Fact]
    public async Task A_stale_nonce_is_retried_with_the_new_one()
    {
        await using var h = await Harness.AllocatedAsync();
        h.Server.RotateNonce();
        var refreshing = h.Client.RefreshAsync();
        await Clock.RunUntilAsync(h.Time, () => refreshing.IsCompleted, TimeSpan.FromSeconds(10));
        await refreshing;
        var refreshes = h.Server.Requests.Where(r => r.Method == StunMethod.Refresh).ToArray();
        Assert.Equal(["nonce-0", "nonce-1"], refreshes.Select(r => r.Nonce));
        Assert.Equal("nonce-1", h.Server.Nonce);
        Assert.Equal(TurnAllocationState.Allocated, h.Client.State);
    }

    [Fact]
    public async Task Sends_by_indication_until_the_peer_is_active_then_by_channel_and_refreshes_both()
    {
        await using var h = await Harness.AllocatedAsync();
        h.Relay.Send("first"u8, Peer);
        await h.AdvanceAsync(TimeSpan.FromMilliseconds(50));
        var permission = Assert.Single(h.Server.Requests, r => r.Method == StunMethod.CreatePermission);
        Assert.Equal(Peer, permission.Peer);
        Assert.True(h.Client.HasPermission(Peer.Address));
        // The datagram that waited for the permission went out once it was installed.
        AssertRelayed(Assert.Single(h.Server.Relayed), null, Peer, "first");

        h.Relay.Send("second"u8, Peer);
        await h.AdvanceAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, h.Server.Count(StunMethod.ChannelBind)); // not heard from yet: not active

        h.Server.SendDataIndication(Peer, "hello"u8);
        var buffer = new byte[64];
        var received = await h.Relay.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Peer, received.RemoteEndPoint);
        Assert.Equal("hello"u8.ToArray(), buffer[..received.Length]);

        h.Relay.Send("third"u8, Peer); // an indication still, and the channel is asked for
        await h.AdvanceAsync(TimeSpan.FromMilliseconds(50));
        var bind = Assert.Single(h.Server.Requests, r => r.Method == StunMethod.ChannelBind);
        Assert.Equal(Peer, bind.Peer);
        Assert.Equal((ushort)0x4000, h.Client.GetChannel(Peer));
        h.Relay.Send("fourth"u8, Peer);
        await h.AdvanceAsync(TimeSpan.FromMilliseconds(50));
        var relayed = h.Server.Relayed.ToArray();
        AssertRelayed(relayed[2], null, Peer, "third");
        AssertRelayed(relayed[3], 0x4000, null, "fourth");

        h.Server.SendChannelData(0x4000, "over the channel"u8);
        received = await h.Relay.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Peer, received.RemoteEndPoint);
        Assert.Equal("over the channel"u8.ToArray(), buffer[..received.Length]);

        await h.AdvanceAsync(TimeSpan.FromMinutes(4));
        Assert.Equal(2, h.Server.Count(StunMethod.CreatePermission)); // every 4 minutes, before the 5-minute expiry
        Assert.Equal(1, h.Server.Count(StunMethod.ChannelBind));
        await h.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(2, h.Server.Count(StunMethod.ChannelBind)); // every 9 minutes, before the 10-minute expiry
        Assert.Equal(3, h.Server.Count(StunMethod.CreatePermission));
        Assert.Equal((ushort)0x4000, h.Client.GetChannel(Peer));
    }

    [Fact]
    public async Task Dispose_deletes_the_allocation_with_lifetime_zero()
    {
        var h = await Harness.AllocatedAsync();
        var disposing = h.Client.DisposeAsync().AsTask();
        await Clock.RunUntilAsync(h.Time, () => disposing.IsCompleted, TimeSpan.FromSeconds(10));
        await disposing;
        var last = h.Server.Requests.Last();
        Assert.Equal((StunMethod.Refresh, TimeSpan.Zero), (last.Method, last.Lifetime));
        Assert.Equal(TurnAllocationState.Closed, h.Client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await h.Relay.ReceiveAsync(new byte[8], CancellationToken.None));
        h.Relay.Send("after close"u8, Peer);
        Assert.Empty(h.Server.Relayed);
        await h.DisposeAsync();
    }

    [Fact]
    public async Task A_relay_only_agent_gathers_just_the_relay_candidate()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        using var server = new FakeTurnServer(net);
        await using var agent = new IceAgent(new IceAgentOptions
        {
            TimeProvider = time,
            SocketFactory = new VirtualUdpFactory(net),
            LocalAddresses = [IPAddress.Parse("10.9.0.2")],
            TurnServers = [server.Server],
            TransportPolicy = IceTransportPolicy.Relay,
        });
        var gathering = agent.GatherAsync();
        await Clock.RunUntilAsync(time, () => gathering.IsCompleted, TimeSpan.FromSeconds(10));
        var relay = Assert.Single(agent.LocalCandidates);
        Assert.Equal(IceCandidateType.Relayed, relay.Type);
        Assert.Equal(server.RelayedEndPoint.Address.ToString(), relay.Address);
        Assert.Equal(server.RelayedEndPoint.Port, relay.Port);
        Assert.Equal("10.9.0.2", relay.RelatedAddress);
        Assert.Equal(IceCandidate.ComputePriority(IceCandidateType.Relayed, 65535), relay.Priority);
        Assert.Equal((65535u << 8) + 255, relay.Priority); // type preference 0: below every host and reflexive candidate
        Assert.Contains(" typ relay raddr 10.9.0.2 rport ", relay.ToString(), StringComparison.Ordinal);
    }

    private static void AssertRelayed((ushort? Channel, IPEndPoint? Peer, byte[] Data) relayed, ushort? channel, IPEndPoint? peer, string text)
    {
        Assert.Equal(channel, relayed.Channel);
        Assert.Equal(peer, relayed.Peer);
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(relayed.Data));
    }

    private sealed class Harness : IAsyncDisposable
    {
        private Harness(FakeTimeProvider time, VirtualNetwork network, FakeTurnServer server, TurnClient client)
        {
            Time = time;
            Network = network;
            Server = server;
            Client = client;
        }

        public FakeTimeProvider Time { get; }

        public VirtualNetwork Network { get; }

        public FakeTurnServer Server { get; }

        public TurnClient Client { get; }

        public IUdpSocket Relay => Client.RelaySocket;

        public static async Task<Harness> AllocatedAsync()
        {
            var time = new FakeTimeProvider();
            var network = new VirtualNetwork(time);
            var server = new FakeTurnServer(network);
            var client = new TurnClient(server.Server, new TurnClientOptions { TimeProvider = time }, new VirtualUdpFactory(network), IPAddress.Parse("10.9.0.2"));
            var allocating = client.AllocateAsync();
            await Clock.RunUntilAsync(time, () => allocating.IsCompleted, TimeSpan.FromSeconds(10));
            await allocating;
            return new Harness(time, network, server, client);
        }

        /// <summary>Advances fake time in 1-second steps (50 ms when shorter), letting responses land between steps.</summary>
        public async Task AdvanceAsync(TimeSpan span)
        {
            var step = span < TimeSpan.FromSeconds(1) ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromSeconds(1);
            for (var done = TimeSpan.Zero; done < span; done += step)
            {
                Time.Advance(step);
                for (var i = 0; i < 3; i++) await Task.Delay(1);
            }
        }

        public async ValueTask DisposeAsync()
        {
            var disposing = Client.DisposeAsync().AsTask();
            for (var i = 0; i < 1000 && !disposing.IsCompleted; i++)
            {
                Time.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(1);
            }
            await disposing;
            Server.Dispose();
            Network.Dispose();
        }
    }
}
