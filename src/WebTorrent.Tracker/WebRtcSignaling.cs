namespace WebTorrent.Tracker;

/// <summary>A WebRTC session description as WebTorrent trackers carry it: <c>{"type":"offer","sdp":"..."}</c>.</summary>
/// <param name="Type"><c>offer</c> or <c>answer</c>.</param>
/// <param name="Sdp">The SDP text (non-trickle: it carries all candidates).</param>
public sealed record SessionDescription(string Type, string Sdp);

/// <summary>
/// Creates WebRTC peers for <see cref="WebSocketTrackerClient"/>, which only carries their offers and answers: the tracker
/// package does not depend on a WebRTC implementation. The factory owns the peers it creates (hands connected ones to the swarm).
/// </summary>
public interface IWebRtcPeerFactory
{
    /// <summary>Creates an outgoing peer for the torrent <paramref name="infoHash"/> and returns its offer.</summary>
    ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken);

    /// <summary>Creates an incoming peer for an offer relayed from <paramref name="remotePeerId"/> and returns its answer.</summary>
    ValueTask<SessionDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId, SessionDescription offer,
        CancellationToken cancellationToken);
}

/// <summary>An offer waiting for its answer; disposed when it expires unanswered.</summary>
public interface IWebRtcOffer : IAsyncDisposable
{
    /// <summary>The offer to send.</summary>
    SessionDescription Offer { get; }

    /// <summary>Completes the connection with the answer of <paramref name="remotePeerId"/>.</summary>
    ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SessionDescription answer, CancellationToken cancellationToken);
}

/// <summary>An error met in the background (a lost socket, a refused announce, a failing peer factory): reported, never thrown into the void.</summary>
public sealed class TrackerErrorEventArgs(Uri tracker, Exception error, string? infoHashHex) : EventArgs
{
    /// <summary>The tracker URL.</summary>
    public Uri Tracker { get; } = tracker;

    /// <summary>What went wrong.</summary>
    public Exception Error { get; } = error;

    /// <summary>The torrent concerned (40 hex digits), when known.</summary>
    public string? InfoHashHex { get; } = infoHashHex;
}
