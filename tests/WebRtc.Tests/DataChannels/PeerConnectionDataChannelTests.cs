using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Sdp;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.DataChannels;

public class PeerConnectionDataChannelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Channels_open_both_ways_over_real_dtls_on_loopback_and_carry_a_hashed_transfer()
    {
        await using var a = new PeerConnection(PeerConnections.Loopback());
        await using var b = new PeerConnection(PeerConnections.Loopback());
        var openedAtB = Channel.CreateUnbounded<DataChannel>();
        var openedAtA = Channel.CreateUnbounded<DataChannel>();
        b.DataChannelOpened += (_, c) => openedAtB.Writer.TryWrite(c);
        a.DataChannelOpened += (_, c) => openedAtA.Writer.TryWrite(c);
        var early = a.CreateDataChannel("early");
        Assert.Null(early.Id);
        Assert.Equal(DataChannelState.Connecting, early.State);
        await PeerConnections.ExchangeAsync(a, b);
        await Task.WhenAll(a.WaitForSctpAsync(), b.WaitForSctpAsync()).WaitAsync(Wait);
        await early.WhenOpen.WaitAsync(Wait);
        Assert.Equal(1, early.Id!.Value % 2); // the offerer is the DTLS server here: odd ids
        var remote = await openedAtB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("early", remote.Label);
        Assert.Equal(262144, early.MaxMessageSize);

        var fromB = b.CreateDataChannel("late");
        Assert.Equal(0, fromB.Id!.Value % 2);
        var lateAtA = await openedAtA.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        await fromB.SendAsync("ping");
        using (var m = (await lateAtA.ReceiveAsync().AsTask().WaitAsync(Wait))!.Value) Assert.Equal("ping", m.Text);

        var data = RandomNumberGenerator.GetBytes(8 << 20);
        await using var writer = early.AsStream();
        await using var reader = remote.AsStream();
        var read = Task.Run(async () =>
        {
            var buffer = new byte[data.Length];
            await reader.ReadExactlyAsync(buffer);
            return buffer;
        });
        await writer.WriteAsync(data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await read.WaitAsync(Wait)));

        await early.CloseAsync().WaitAsync(Wait);
        await remote.WhenClosed.WaitAsync(Wait);
    }

    [Fact]
    public async Task Data_channels_work_over_a_lossy_virtual_network()
    {
        using var net = new VirtualNetwork(seed: 4) { DefaultConditions = new NetworkConditions(LossRate: 0.05, Delay: TimeSpan.FromMilliseconds(2)) };
        PeerConnectionOptions On(string ip) => new()
        {
            Ice = new IceAgentOptions { SocketFactory = new VirtualUdpFactory(net), LocalAddresses = [IPAddress.Parse(ip)] },
        };
        await using var a = new PeerConnection(On("10.2.0.1"));
        await using var b = new PeerConnection(On("10.2.0.2"));
        var opened = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.DataChannelOpened += (_, c) => opened.TrySetResult(c);
        var channel = a.CreateDataChannel("wire");
        await PeerConnections.ExchangeAsync(a, b);
        var remote = await opened.Task.WaitAsync(Wait);
        for (var i = 0; i < 100; i++) await channel.SendAsync($"message {i}");
        for (var i = 0; i < 100; i++)
        {
            using var m = (await remote.ReceiveAsync().AsTask().WaitAsync(Wait))!.Value;
            Assert.Equal($"message {i}", m.Text);
        }
    }
}
