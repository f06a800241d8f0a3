using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>Audit finding 4 at the swarm level: peer ids stay with whoever announced them, and one address cannot crowd out a swarm.</summary>
public sealed class SwarmIntegrityTests
{
    private sealed class Sink : ISignalingEndpoint
    {
        public bool TrySend(OutgoingMessage message)
        {
            message.Return();
            return true;
        }
    }

    private static Id20 Id(int n)
    {
        var bytes = new byte[20];
        BitConverter.TryWriteBytes(bytes, n);
        return new Id20(bytes);
    }

    private static AddressKey Address(string address) => AddressKey.From(IPAddress.Parse(address));

    [Fact]
    public void A_second_socket_cannot_take_over_a_live_websocket_peer_id()
    {
        var swarm = new Swarm(Id(0), 100);
        Sink victim = new(), attacker = new();
        swarm.AnnounceWebSocket(Id(1), victim, Address("10.0.0.1"), AnnounceEvent.Started, false, 0, out var added, out var outcome);
        Assert.True(added);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);

        foreach (var e in new[] { AnnounceEvent.None, AnnounceEvent.Started, AnnounceEvent.Completed, AnnounceEvent.Stopped })
        {
            swarm.AnnounceWebSocket(Id(1), attacker, Address("10.0.0.2"), e, true, 1, out added, out outcome);
            Assert.Equal(AnnounceOutcome.PeerIdTaken, outcome);
            Assert.False(added);
        }
        Assert.Same(victim, swarm.FindWebSocketPeer(Id(1)));
        Assert.Equal(new SwarmCounts(0, 1, 0), swarm.Counts); // the attacker's "completed" changed nothing either

        // Once the victim's socket closed, the id is free again.
        Assert.True(swarm.RemoveWebSocketPeer(Id(1), victim));
        swarm.AnnounceWebSocket(Id(1), attacker, Address("10.0.0.2"), AnnounceEvent.Started, false, 2, out added, out outcome);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);
        Assert.Same(attacker, swarm.FindWebSocketPeer(Id(1)));
    }

    [Fact]
    public void An_http_or_udp_peer_id_belongs_to_its_address_even_for_stopped()
    {
        var swarm = new Swarm(Id(0), 100);
        var peers = new PeerEntry?[10];
        var victim = IPAddress.Parse("10.0.0.1");
        var attacker = IPAddress.Parse("10.0.0.2");
        Span<byte> bytes = stackalloc byte[4];
        swarm.AnnounceEndpoint(Id(1), victim, 6881, AnnounceEvent.Started, false, 0, peers, out _);

        attacker.TryWriteBytes(bytes, out _);
        swarm.AnnounceEndpoint(Id(1), bytes, attacker, 1, AnnounceEvent.Stopped, null, 1, peers, out _, out var outcome);
        Assert.Equal(AnnounceOutcome.PeerIdTaken, outcome);
        swarm.AnnounceEndpoint(Id(1), bytes, attacker, 1, AnnounceEvent.None, null, 1, peers, out _, out outcome);
        Assert.Equal(AnnounceOutcome.PeerIdTaken, outcome);
        Assert.Equal(1, swarm.EndpointPeerCount);
        swarm.AnnounceEndpoint(Id(2), bytes, attacker, 1, AnnounceEvent.Started, null, 1, peers, out var count, out outcome);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);
        Assert.Equal(6881, Assert.Single(peers[..count])!.Port); // still the victim's endpoint, not moved to the attacker's

        victim.TryWriteBytes(bytes, out _);
        swarm.AnnounceEndpoint(Id(1), bytes, victim, 6881, AnnounceEvent.Stopped, null, 2, peers, out _, out outcome);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);
        Assert.Equal(1, swarm.EndpointPeerCount);
    }

    [Fact]
    public void One_address_holds_at_most_its_share_of_a_swarm_and_evicts_no_real_peer()
    {
        const int real = 20, perAddress = 32;
        var swarm = new Swarm(Id(0), maxPeers: 60, maxPeersPerAddress: perAddress);
        for (var i = 0; i < real; i++) swarm.AnnounceWebSocket(Id(i), new Sink(), Address($"10.0.1.{i}"), AnnounceEvent.Started, false, i, out _, out _);

        // The audit's 5 sockets x 1,000 fresh ids, all from one address.
        var accepted = 0;
        for (var socket = 0; socket < 5; socket++)
        {
            var sink = new Sink();
            for (var i = 0; i < 1_000; i++)
            {
                swarm.AnnounceWebSocket(Id(100_000 + (socket * 1_000) + i), sink, Address("10.9.9.9"), AnnounceEvent.Started, false, 100 + i, out _, out var outcome);
                if (outcome == AnnounceOutcome.Accepted) accepted++;
                else Assert.Equal(AnnounceOutcome.AddressFull, outcome);
            }
        }
        Assert.Equal(perAddress, accepted);
        Assert.Equal(real + perAddress, swarm.WebSocketPeerCount);
        for (var i = 0; i < real; i++) Assert.NotNull(swarm.FindWebSocketPeer(Id(i)));

        // IPv6 addresses of one /64 are one address; another /64 is another.
        swarm.AnnounceWebSocket(Id(900_001), new Sink(), Address("2001:db8:0:1::1"), AnnounceEvent.Started, false, 0, out _, out var first);
        Assert.Equal(AnnounceOutcome.Accepted, first);
        var sameSlash64 = new Swarm(Id(1), 100, maxPeersPerAddress: 1);
        sameSlash64.AnnounceWebSocket(Id(1), new Sink(), Address("2001:db8:0:1::1"), AnnounceEvent.Started, false, 0, out _, out first);
        sameSlash64.AnnounceWebSocket(Id(2), new Sink(), Address("2001:db8:0:1::ffff"), AnnounceEvent.Started, false, 0, out _, out var second);
        sameSlash64.AnnounceWebSocket(Id(3), new Sink(), Address("2001:db8:0:2::1"), AnnounceEvent.Started, false, 0, out _, out var third);
        Assert.Equal([AnnounceOutcome.Accepted, AnnounceOutcome.AddressFull, AnnounceOutcome.Accepted], new[] { first, second, third });
    }

    [Fact]
    public void Peers_leaving_give_their_address_its_share_back()
    {
        var swarm = new Swarm(Id(0), 100, maxPeersPerAddress: 2);
        var sink = new Sink();
        var address = Address("10.0.0.1");
        swarm.AnnounceWebSocket(Id(1), sink, address, AnnounceEvent.Started, false, 0, out _, out _);
        swarm.AnnounceWebSocket(Id(2), sink, address, AnnounceEvent.Started, false, 0, out _, out _);
        swarm.AnnounceWebSocket(Id(3), sink, address, AnnounceEvent.Started, false, 0, out _, out var outcome);
        Assert.Equal(AnnounceOutcome.AddressFull, outcome);
        swarm.AnnounceWebSocket(Id(1), sink, address, AnnounceEvent.Stopped, null, 1, out _, out _);
        swarm.Expire(deadline: 1); // Id(2), last seen at 0, expires
        swarm.AnnounceWebSocket(Id(3), sink, address, AnnounceEvent.Started, false, 2, out _, out outcome);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);
        swarm.AnnounceWebSocket(Id(4), sink, address, AnnounceEvent.Started, false, 2, out _, out outcome);
        Assert.Equal(AnnounceOutcome.Accepted, outcome);
    }

    [Fact]
    public void Swarm_creation_is_rate_limited_per_address_and_refills_on_the_clock()
    {
        var time = new FakeTimeProvider();
        var options = new WebTorrentTrackerOptions
        {
            TimeProvider = time, SwarmCreationBurstPerAddress = 3, SwarmCreationsPerMinutePerAddress = 60, SweepInterval = TimeSpan.FromHours(1),
        };
        using var registry = new SwarmRegistry(options);
        var flooder = Address("10.0.0.1");
        for (var i = 0; i < 3; i++) Assert.NotNull(registry.GetOrCreate(Id(i), flooder, out _));
        Assert.Null(registry.GetOrCreate(Id(3), flooder, out var refusal));
        Assert.Equal(SwarmRefusal.RateLimited, refusal);
        Assert.NotNull(registry.GetOrCreate(Id(0), flooder, out refusal)); // joining an existing swarm costs nothing
        Assert.NotNull(registry.GetOrCreate(Id(3), Address("10.0.0.2"), out _)); // others are not held back
        Assert.NotNull(registry.GetOrCreate(Id(4))); // nor the server itself

        time.Advance(TimeSpan.FromSeconds(1)); // 60 a minute: one more
        Assert.NotNull(registry.GetOrCreate(Id(5), flooder, out _));
        Assert.Null(registry.GetOrCreate(Id(6), flooder, out refusal));
        Assert.Equal(SwarmRefusal.RateLimited, refusal);
    }

    [Fact]
    public void Rate_limit_buckets_are_bounded_and_forgotten_once_refilled()
    {
        var time = new FakeTimeProvider();
        var options = new WebTorrentTrackerOptions
        {
            TimeProvider = time, SwarmCreationBurstPerAddress = 1, SwarmCreationsPerMinutePerAddress = 60, MaxSwarmCreationAddresses = 2,
            SweepInterval = TimeSpan.FromHours(1), PeerTimeToLive = TimeSpan.FromHours(2),
        };
        using var registry = new SwarmRegistry(options);
        Assert.NotNull(registry.GetOrCreate(Id(1), Address("10.0.0.1"), out _));
        Assert.NotNull(registry.GetOrCreate(Id(2), Address("10.0.0.2"), out _));
        Assert.Null(registry.GetOrCreate(Id(3), Address("10.0.0.3"), out var refusal)); // no room for a third bucket
        Assert.Equal(SwarmRefusal.RateLimited, refusal);

        time.Advance(TimeSpan.FromSeconds(2));
        registry.Sweep(); // both buckets refilled: forgotten (the swarms, empty, go too)
        Assert.NotNull(registry.GetOrCreate(Id(3), Address("10.0.0.3"), out _));
    }
}
