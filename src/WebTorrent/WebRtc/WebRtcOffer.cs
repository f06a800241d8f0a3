using WebRtc.DataChannels;
using WebTorrent.Tracker;

namespace WebTorrent.WebRtc;

/// <summary>One of our offers as a WebSocket tracker carries it: disposing it before an answer closes its peer connection.</summary>
internal sealed class WebRtcOffer(WebRtcPeerFactory factory, WebRtcPeer peer, DataChannel channel, SessionDescription offer) : IWebRtcOffer
{
    /// <inheritdoc/>
    public SessionDescription Offer { get; } = offer;

    /// <inheritdoc/>
    public ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SessionDescription answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return factory.AcceptAnswerAsync(peer, channel, remotePeerId, answer, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => peer.AnswerAccepted && !peer.IsClosed ? ValueTask.CompletedTask : peer.DisposeAsync();
}
