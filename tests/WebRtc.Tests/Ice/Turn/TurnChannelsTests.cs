using System.Net;
using WebRtc.Ice.Turn;

namespace WebRtc.Tests.Ice.Turn;

public class TurnChannelsTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("10.0.0.5"), 5000);

    [Fact]
    public void A_channel_is_reserved_only_for_a_peer_we_heard_from_and_numbers_are_never_reused()
    {
        var channels = new TurnChannels(maxChannels: 2);
        Assert.Null(channels.TryReserve(Peer));
        channels.MarkHeard(Peer);
        var binding = channels.TryReserve(Peer)!;
        Assert.Equal(ChannelData.MinChannelNumber, binding.Number);
        Assert.Null(channels.TryReserve(Peer)); // one per peer
        Assert.Null(channels.BoundChannel(Peer)); // not confirmed yet: still indications
        // ChannelData can overtake the ChannelBind success response: a pending channel already maps to its peer.
        Assert.Equal(Peer, channels.PeerOf(binding.Number));

        channels.Release(binding);
        Assert.Null(channels.PeerOf(binding.Number));
        var again = channels.TryReserve(Peer)!;
        Assert.Equal(ChannelData.MinChannelNumber + 1, again.Number);
        again.Bound = true;
        Assert.Equal(again.Number, channels.BoundChannel(Peer));

        var other = new IPEndPoint(IPAddress.Parse("10.0.0.6"), 5000);
        var third = new IPEndPoint(IPAddress.Parse("10.0.0.7"), 5000);
        channels.MarkHeard(other);
        channels.MarkHeard(third);
        Assert.NotNull(channels.TryReserve(other));
        Assert.Null(channels.TryReserve(third)); // MaxChannels
    }
}
