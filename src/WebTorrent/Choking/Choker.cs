namespace WebTorrent.Choking;

/// <summary>Options for <see cref="Choker{TPeer}"/>.</summary>
public sealed class ChokerOptions
{
    /// <summary>How many peers are unchoked for their rate (tit-for-tat). Default 3.</summary>
    public int RegularSlots { get; init; } = 3;

    /// <summary>How long the optimistic unchoke stays with one peer before it moves on. Default 30 s (BEP 3).</summary>
    public TimeSpan OptimisticInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Seed for choosing the optimistic peer; null picks one at random.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>The clock for the optimistic rotation.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>One connected peer as the choker sees it.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="IsInterested">Whether it wants pieces from us (only interested peers are unchoked).</param>
/// <param name="DownloadRate">Bytes per second we recently downloaded from it.</param>
/// <param name="UploadRate">Bytes per second we recently uploaded to it.</param>
public readonly record struct ChokeCandidate<TPeer>(TPeer Peer, bool IsInterested, double DownloadRate, double UploadRate);

/// <summary>
/// Tit-for-tat choking (BEP 3): unchoke the <see cref="ChokerOptions.RegularSlots"/> interested peers that give us the most
/// (download rate) — or, when seeding, that take the most (upload rate) — plus one optimistic unchoke, a random other
/// interested peer kept for <see cref="ChokerOptions.OptimisticInterval"/>, so newcomers get a chance to prove themselves.
/// </summary>
/// <remarks>Pure: the engine calls <see cref="Recompute"/> periodically (every 10 s is usual) and sends choke/unchoke for the changes.</remarks>
/// <typeparam name="TPeer">How the engine identifies a peer.</typeparam>
public sealed class Choker<TPeer> where TPeer : notnull
{
    private readonly ChokerOptions _options;
    private readonly Random _random;
    private bool _hasOptimistic;
    private TPeer _optimistic = default!;
    private long _optimisticSince;

    /// <summary>A choker with <paramref name="options"/> (defaults when null).</summary>
    public Choker(ChokerOptions? options = null)
    {
        _options = options ?? new ChokerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.RegularSlots, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.OptimisticInterval, TimeSpan.Zero, nameof(options));
        _random = _options.RandomSeed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>The current optimistic unchoke, if any.</summary>
    public bool TryGetOptimisticPeer(out TPeer peer)
    {
        peer = _optimistic;
        return _hasOptimistic;
    }

    /// <summary>Decide which peers are unchoked now; every other peer is choked.</summary>
    /// <param name="peers">Every connected peer.</param>
    /// <param name="seeding">True when we have everything: rank by upload rate instead of download rate.</param>
    /// <returns>The peers to unchoke.</returns>
    public IReadOnlySet<TPeer> Recompute(IReadOnlyList<ChokeCandidate<TPeer>> peers, bool seeding)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var comparer = EqualityComparer<TPeer>.Default;
        var interested = peers.Where(p => p.IsInterested).ToList();
        // Stable sort on rate, best first; equal rates keep the caller's order.
        var ranked = interested.Select((p, i) => (Candidate: p, Index: i))
            .OrderByDescending(x => seeding ? x.Candidate.UploadRate : x.Candidate.DownloadRate)
            .ThenBy(x => x.Index)
            .Select(x => x.Candidate.Peer)
            .ToList();
        var unchoked = new HashSet<TPeer>(ranked.Take(_options.RegularSlots));

        var now = _options.TimeProvider.GetTimestamp();
        var keep = _hasOptimistic
            && _options.TimeProvider.GetElapsedTime(_optimisticSince, now) < _options.OptimisticInterval
            && interested.Exists(p => comparer.Equals(p.Peer, _optimistic))
            && !unchoked.Contains(_optimistic);
        if (!keep)
        {
            var choices = ranked.Where(p => !unchoked.Contains(p) && !(_hasOptimistic && comparer.Equals(p, _optimistic))).ToList();
            if (choices.Count == 0 && _hasOptimistic && !unchoked.Contains(_optimistic) && interested.Exists(p => comparer.Equals(p.Peer, _optimistic)))
                choices.Add(_optimistic);   // the only candidate left keeps the slot
            _hasOptimistic = choices.Count > 0;
            _optimistic = _hasOptimistic ? choices[_random.Next(choices.Count)] : default!;
            _optimisticSince = now;
        }
        if (_hasOptimistic) unchoked.Add(_optimistic);
        return unchoked;
    }
}
