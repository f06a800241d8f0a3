using System.Net;
using System.Security.Cryptography;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Ice.Turn;
using WebRtc.Sdp;

namespace Interop.Tests.WebRtc;

/// <summary>Our STUN and TURN clients, and relay-only peer connections, against Debian's coturn on loopback.</summary>
public class CoturnTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stun_binding_to_coturn_yields_a_server_reflexive_candidate()
    {
        await using var coturn = await Coturn.StartAsync();
        // Bound to the wildcard address, our host "address" differs from what coturn sees (127.0.0.1), so the
        // reflexive candidate is not redundant with the host one and is kept.
        await using var agent = new IceAgent(new IceAgentOptions { LocalAddresses = [IPAddress.Any], IncludeIPv6 = false, StunServers = [coturn.EndPoint] });
        await agent.GatherAsync().WaitAsync(Timeout);
        var host = Assert.Single(agent.LocalCandidates, c => c.Type == IceCandidateType.Host);
        var srflx = Assert.Single(agent.LocalCandidates, c => c.Type == IceCandidateType.ServerReflexive);
        output.WriteLine(srflx.ToString());
        Assert.Equal("127.0.0.1", srflx.Address);
        Assert.Equal(host.Port, srflx.Port);
        Assert.Equal("0.0.0.0", srflx.RelatedAddress);
        Assert.Equal(host.Port, srflx.RelatedPort);
    }

    [Fact]
    public async Task Relay_only_peer_connections_echo_data_through_coturn()
    {
        await using var coturn = await Coturn.StartAsync();
        PeerConnectionOptions Options() => new()
        {
            IceServers = [new IceServer(coturn.Url, Coturn.Username, Coturn.Password)],
            IceTransportPolicy = IceTransportPolicy.Relay,
            Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
        };
        await using var a = new PeerConnection(Options());
        await using var b = new PeerConnection(Options());
        var opened = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.DataChannelOpened += (_, c) => opened.TrySetResult(c);
        var channel = a.CreateDataChannel("echo");
        var offer = await a.CreateOfferAsync();
        await a.SetLocalDescriptionAsync(offer);
        var offerText = offer.ToString();
        output.WriteLine(offerText);
        Assert.Contains(" typ relay ", offerText, StringComparison.Ordinal);
        Assert.DoesNotContain(" typ host", offerText, StringComparison.Ordinal);
        await b.SetRemoteDescriptionAsync(SessionDescription.Parse(offerText, SdpType.Offer));
        var answer = await b.CreateAnswerAsync();
        await b.SetLocalDescriptionAsync(answer);
        Assert.DoesNotContain(" typ host", answer.ToString(), StringComparison.Ordinal);
        await a.SetRemoteDescriptionAsync(SessionDescription.Parse(answer.ToString(), SdpType.Answer));
        var remote = await opened.Task.WaitAsync(Timeout);
        Assert.Equal(IceCandidateType.Relayed, a.SelectedCandidatePair!.LocalType);
        Assert.Equal(IceCandidateType.Relayed, a.SelectedCandidatePair.RemoteType);
        Assert.Equal(IceCandidateType.Relayed, b.SelectedCandidatePair!.LocalType);

        var echo = Task.Run(async () =>
        {
            while (await remote.ReceiveAsync() is { } message)
            {
                using (message) await remote.SendAsync(message.Data.ToArray());
            }
        });
        var data = RandomNumberGenerator.GetBytes(300 << 10);
        const int MessageSize = 16 << 10;
        var received = new MemoryStream();
        var reading = Task.Run(async () =>
        {
            while (received.Length < data.Length)
            {
                using var message = (await channel.ReceiveAsync())!.Value;
                received.Write(message.Data.Span);
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var offset = 0; offset < data.Length; offset += MessageSize)
            await channel.SendAsync(data.AsMemory(offset, Math.Min(MessageSize, data.Length - offset)));
        await reading.WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        output.WriteLine($"300 KiB echoed through coturn in {clock.Elapsed.TotalMilliseconds:F0} ms ({2 * data.Length / clock.Elapsed.TotalSeconds / 1e6:F1} MB/s both ways)");
        // The active pair moved from Send indications to a bound channel.
        await coturn.WaitForLogAsync(Timeout, "CHANNEL_BIND", "success");
        _ = echo;
    }

    [Fact]
    public async Task Turn_clients_relay_to_each_other_first_by_indications_then_by_channel()
    {
        await using var coturn = await Coturn.StartAsync();
        await using var a = new TurnClient(coturn.Server);
        await using var b = new TurnClient(coturn.Server);
        var relayA = await a.AllocateAsync().WaitAsync(Timeout);
        var relayB = await b.AllocateAsync().WaitAsync(Timeout);
        var relayedA = a.RelayedEndPoint!;
        var relayedB = b.RelayedEndPoint!;
        Assert.Equal(IPAddress.Loopback, relayedA.Address);
        Assert.Equal(IPAddress.Loopback, a.MappedEndPoint!.Address);
        Assert.NotEqual(relayedA, relayedB);
        var buffer = new byte[2048];

        // b must allow a before a's datagrams reach it: its own send creates the permission (a drops it until a has one too).
        relayB.Send("ping"u8, relayedA);
        for (var round = 0; round < 20 && (b.GetChannel(relayedA) is null || a.GetChannel(relayedB) is null); round++)
        {
            relayA.Send("ping"u8, relayedB);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                var got = await relayB.ReceiveAsync(buffer, wait.Token);
                Assert.Equal(relayedA, got.RemoteEndPoint);
                relayB.Send(buffer.AsSpan(0, got.Length), got.RemoteEndPoint);
                var back = await relayA.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
                Assert.Equal(relayedB, back.RemoteEndPoint);
                Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, back.Length).ToArray());
            }
            catch (OperationCanceledException)
            {
                // a's permission for b (or b's for a) was still being created: send again.
            }
        }
        Assert.True(a.HasPermission(IPAddress.Loopback));
        Assert.NotNull(b.GetChannel(relayedA));
        Assert.NotNull(a.GetChannel(relayedB));
        // Over the bound channels now, with sizes that need ChannelData padding.
        for (var size = 1; size <= 9; size++)
        {
            var payload = RandomNumberGenerator.GetBytes(size * 111);
            relayA.Send(payload, relayedB);
            UdpReceiveResult got;
            do got = await relayB.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
            while (buffer.AsSpan(0, got.Length).SequenceEqual("ping"u8)); // late pings from the rounds above
            Assert.Equal(payload, buffer.AsSpan(0, got.Length).ToArray());
        }
    }

    [Fact]
    public async Task Allocation_is_refreshed_before_it_expires_and_deleted_on_dispose()
    {
        await using var coturn = await Coturn.StartAsync(maxAllocateLifetime: 4);
        var client = new TurnClient(coturn.Server);
        await client.AllocateAsync().WaitAsync(Timeout);
        Assert.Equal(TimeSpan.FromSeconds(4), client.Lifetime);
        // Refreshed at half its 4 s life: after 7 s it would long have expired otherwise.
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal(TurnAllocationState.Allocated, client.State);
        var refreshes = coturn.Log.Split('\n').Count(l => l.Contains("refreshed, realm=<test>, username=<u>, lifetime=4", StringComparison.Ordinal));
        Assert.InRange(refreshes, 3, 5);
        await client.RefreshAsync().WaitAsync(Timeout); // a 437 would throw: the allocation is alive
        await client.DisposeAsync();
        Assert.Equal(TurnAllocationState.Closed, client.State);
        await coturn.WaitForLogAsync(Timeout, "refreshed", "lifetime=0");
        output.WriteLine(await coturn.WaitForLogAsync(Timeout, "delete: realm=<test>, username=<u>"));
    }
}
