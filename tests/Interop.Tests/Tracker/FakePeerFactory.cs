using System.Collections.Concurrent;
using WebTorrent.Tracker;

namespace Interop.Tests.Tracker;

/// <summary>A peer factory whose "SDP" is a marker text: proves the tracker relays offers and answers verbatim, without WebRTC.</summary>
internal sealed class FakePeerFactory(string name) : IWebRtcPeerFactory
{
    public ConcurrentQueue<(byte[] RemotePeerId, SessionDescription Offer)> OffersAnswered { get; } = new();

    public TaskCompletionSource<(byte[] RemotePeerId, SessionDescription Answer)> AnswerAccepted { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int OffersCreated;

    public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref OffersCreated);
        return ValueTask.FromResult<IWebRtcOffer>(new FakeOffer(this, new SessionDescription("offer", $"v=0\r\no=- {name} offer {n}\r\n")));
    }

    public ValueTask<SessionDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId, SessionDescription offer,
        CancellationToken cancellationToken)
    {
        OffersAnswered.Enqueue((remotePeerId.ToArray(), offer));
        return ValueTask.FromResult(new SessionDescription("answer", $"v=0\r\no=- {name} answers {offer.Sdp.Split(' ').Last().Trim()}\r\n"));
    }

    private sealed class FakeOffer(FakePeerFactory owner, SessionDescription offer) : IWebRtcOffer
    {
        public SessionDescription Offer { get; } = offer;

        public ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SessionDescription answer, CancellationToken cancellationToken)
        {
            owner.AnswerAccepted.TrySetResult((remotePeerId.ToArray(), answer));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
