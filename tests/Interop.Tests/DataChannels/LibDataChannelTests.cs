using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Sdp;
using WebTorrent.TestSupport;

namespace Interop.Tests.DataChannels;

/// <summary>Data channels between our stack and libdatachannel (npm node-datachannel), both directions of offer/answer.</summary>
public class LibDataChannelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int BulkBytes = 32 << 20;

    private static ExternalProcess StartPeer(string mode) =>
        ExternalProcess.StartNode(Path.Combine(RepoPaths.Interop, "datachannel-peer.mjs"), mode);

    private static PeerConnectionOptions Options() => new()
    {
        Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
    };

    private static string Encode(SessionDescription d) => Convert.ToBase64String(Encoding.UTF8.GetBytes(d.ToString()));

    private static string Decode(string line) => Encoding.UTF8.GetString(Convert.FromBase64String(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]));

    [Fact]
    public async Task Libdatachannel_offers_and_dotnet_answers()
    {
        TestNetwork.RequireIsolatedNamespace();
        await using var node = StartPeer("offer");
        var offer = Decode(await node.WaitForLineAsync("OFFER ", Timeout));
        await using var pc = new PeerConnection(Options());
        var opened = Channel.CreateUnbounded<DataChannel>();
        pc.DataChannelOpened += (_, c) => opened.Writer.TryWrite(c);
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(offer, SdpType.Offer));
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        await node.WriteLineAsync("ANSWER " + Encode(answer));
        await pc.WaitForSctpAsync().WaitAsync(Timeout);

        var fromNode = await opened.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("from-libdatachannel", fromNode.Label);
        await EchoAsync(fromNode);

        var fromDotnet = pc.CreateDataChannel("from-dotnet");
        await node.WaitForLineAsync("OPEN from-dotnet", Timeout);
        await EchoAsync(fromDotnet);

        await BulkAsync(node, pc);

        await fromDotnet.CloseAsync().WaitAsync(Timeout);
        await node.WaitForLineAsync("CLOSED from-dotnet", Timeout);
        await node.WriteLineAsync("CLOSE from-libdatachannel");
        await fromNode.WhenClosed.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Dotnet_offers_and_libdatachannel_answers()
    {
        TestNetwork.RequireIsolatedNamespace();
        await using var node = StartPeer("answer");
        await node.WaitForLineAsync("STARTED", Timeout);
        await using var pc = new PeerConnection(Options());
        var opened = Channel.CreateUnbounded<DataChannel>();
        pc.DataChannelOpened += (_, c) => opened.Writer.TryWrite(c);
        var fromDotnet = pc.CreateDataChannel("from-dotnet");
        var offer = await pc.CreateOfferAsync();
        await pc.SetLocalDescriptionAsync(offer);
        await node.WriteLineAsync("OFFER " + Encode(offer));
        var answer = Decode(await node.WaitForLineAsync("ANSWER ", Timeout));
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(answer, SdpType.Answer));
        await fromDotnet.WhenOpen.WaitAsync(Timeout);
        await node.WaitForLineAsync("OPEN from-dotnet", Timeout);
        await EchoAsync(fromDotnet);

        await node.WriteLineAsync("CREATE from-libdatachannel");
        var fromNode = await opened.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("from-libdatachannel", fromNode.Label);
        await EchoAsync(fromNode);

        await BulkAsync(node, pc);

        await node.WriteLineAsync("CLOSE from-dotnet");
        await fromDotnet.WhenClosed.WaitAsync(Timeout);
        await fromNode.CloseAsync().WaitAsync(Timeout);
        await node.WaitForLineAsync("CLOSED from-libdatachannel", Timeout);
    }

    private static async Task EchoAsync(DataChannel channel)
    {
        foreach (var size in new[] { 1, 16 * 1024, 256 * 1024 - 1, channel.MaxMessageSize })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            await channel.SendAsync(data);
            using var echo = (await channel.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            Assert.False(echo.IsText);
            Assert.True(data.AsSpan().SequenceEqual(echo.Data.Span), $"binary echo of {size} bytes differs");
        }
        foreach (var text in new[] { "a", "héllo wörld ✓" })
        {
            await channel.SendAsync(text);
            using var echo = (await channel.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            Assert.True(echo.IsText);
            Assert.Equal(text, echo.Text);
        }
    }

    private static async Task BulkAsync(ExternalProcess node, PeerConnection pc)
    {
        await node.WriteLineAsync($"BULK {BulkBytes}");
        await node.WaitForLineAsync("READY", Timeout);
        var bulk = pc.CreateDataChannel("bulk");
        await node.WaitForLineAsync("OPEN bulk", Timeout);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(7);
        var block = new byte[64 * 1024];
        for (var n = 0; n < BulkBytes; n += block.Length)
        {
            random.NextBytes(block);
            sent.AppendData(block);
            await bulk.SendAsync(block);
        }
        var hashLine = await node.WaitForLineAsync("BULKHASH ", TimeSpan.FromSeconds(120));
        Assert.Equal(Convert.ToHexStringLower(sent.GetHashAndReset()), hashLine["BULKHASH ".Length..]);

        await node.WriteLineAsync($"SEND bulk {BulkBytes}");
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        while (total < BulkBytes)
        {
            using var m = (await bulk.ReceiveAsync().AsTask().WaitAsync(Timeout))!.Value;
            received.AppendData(m.Data.Span);
            total += m.Data.Length;
        }
        var sentLine = await node.WaitForLineAsync("SENT ", Timeout);
        Assert.Equal(sentLine["SENT ".Length..], Convert.ToHexStringLower(received.GetHashAndReset()));
        await bulk.CloseAsync().WaitAsync(Timeout);

        // libdatachannel's INIT offers zero checksum over DTLS (RFC 9653), as ours does: both ends then skip the
        // CRC32c, and each accepts the other's zeros (the bulk data above went both ways that way).
        var sctp = pc.Sctp!;
        Assert.True(sctp.ZeroChecksumNegotiated, "zero checksum was not negotiated with libdatachannel");
        var stats = sctp.GetStatistics();
        Assert.True(stats.ZeroChecksumPacketsSent > 1000, $"{stats.ZeroChecksumPacketsSent} packets sent with a zero checksum");
        Assert.True(stats.ZeroChecksumPacketsReceived > 1000, $"{stats.ZeroChecksumPacketsReceived} packets received with a zero checksum");
    }
}
