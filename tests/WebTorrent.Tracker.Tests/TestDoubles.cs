using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WebTorrent.Tracker.Tests;

/// <summary>A peer factory whose "SDP" is marker text (the tracker client, not WebRTC, is tested); it can be told to fail.</summary>
internal sealed class MarkerPeerFactory : IWebRtcPeerFactory
{
    private int _offers;

    /// <summary>Answers to create by throwing, counted down (a failing factory).</summary>
    public int AnswersToFail;

    /// <summary>Offers to create by throwing, counted down.</summary>
    public int OffersToFail;

    public ConcurrentQueue<(byte[] RemotePeerId, SessionDescription Offer)> OffersAnswered { get; } = new();

    public ConcurrentQueue<(byte[] RemotePeerId, SessionDescription Answer)> AnswersAccepted { get; } = new();

    public ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref OffersToFail) >= 0) throw new InvalidOperationException("factory failure (offer)");
        var n = Interlocked.Increment(ref _offers);
        return ValueTask.FromResult<IWebRtcOffer>(new MarkerOffer(this, new SessionDescription("offer", $"v=0\r\nOFFER {n}")));
    }

    public ValueTask<SessionDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId, SessionDescription offer,
        CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref AnswersToFail) >= 0) throw new InvalidOperationException("factory failure (answer)");
        OffersAnswered.Enqueue((remotePeerId.ToArray(), offer));
        return ValueTask.FromResult(new SessionDescription("answer", "v=0\r\nANSWER TO " + offer.Sdp));
    }

    private sealed class MarkerOffer(MarkerPeerFactory owner, SessionDescription offer) : IWebRtcOffer
    {
        public SessionDescription Offer { get; } = offer;

        public ValueTask AcceptAnswerAsync(ReadOnlyMemory<byte> remotePeerId, SessionDescription answer, CancellationToken cancellationToken)
        {
            owner.AnswersAccepted.Enqueue((remotePeerId.ToArray(), answer));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Keeps every log entry at Warning or above, to check that skipped input is logged.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
{
    public ConcurrentQueue<string> Warnings { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) Warnings.Enqueue(formatter(state, exception));
    }

    public void Dispose()
    {
    }
}
