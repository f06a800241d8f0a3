using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Discovery;
using WebTorrent.Tracker;

namespace WebTorrent.Tests.Discovery;

/// <summary>The tracker side of <see cref="PeerDiscovery"/> on a fake clock with fake trackers: tiers, intervals, events, backoff.</summary>
public sealed class TrackerAnnounceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Started_first_then_regular_announces_at_the_interval_with_the_tracker_id_and_a_fixed_key()
    {
        await using var h = new Harness();
        h.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(30), trackerId: "tid-1", peers: [new IPEndPoint(IPAddress.Loopback, 7001)]);
        var announcer = h.Register([["http://a/announce"]]);

        var first = await h.NextCallAsync();
        Assert.Equal(TrackerEvent.Started, first.Request.Event);
        Assert.Equal(Harness.Start, first.At);
        Assert.Null(first.Request.TrackerId);
        Assert.Equal(6881, first.Request.Port);
        Assert.Equal(1000, first.Request.Left);
        var peer = await h.Peers.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(new DiscoveredPeer(new IPEndPoint(IPAddress.Loopback, 7001), PeerSource.Tracker), peer);

        await h.AdvanceAsync(announcer, TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        await h.AssertNoCallAsync(announcer);
        await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(1));
        var second = await h.NextCallAsync();
        Assert.Equal(TrackerEvent.None, second.Request.Event);
        Assert.Equal(Harness.Start + TimeSpan.FromMinutes(30), second.At);
        Assert.Equal("tid-1", second.Request.TrackerId);
        Assert.Equal(first.Request.Key, second.Request.Key);
        Assert.Equal(h.Discovery.TrackerKey, second.Request.Key);
    }

    [Fact]
    public async Task Completed_is_sent_once_and_stopped_on_dispose()
    {
        await using var h = new Harness();
        h.Tracker("udp://a:1").Respond = _ => Response(TimeSpan.FromMinutes(30));
        var announcer = h.Register([["udp://a:1"]]);
        Assert.Equal(TrackerEvent.Started, (await h.NextCallAsync()).Request.Event);

        h.Left = 0;
        await announcer.NotifyCompletedAsync().AsTask().WaitAsync(Wait);
        var completed = await h.NextCallAsync();
        Assert.Equal(TrackerEvent.Completed, completed.Request.Event);
        Assert.Equal(0, completed.Request.Left);
        await announcer.NotifyCompletedAsync().AsTask().WaitAsync(Wait);
        await h.AssertNoCallAsync(announcer);

        await announcer.DisposeAsync().AsTask().WaitAsync(Wait);
        var stopped = await h.NextCallAsync();
        Assert.Equal(TrackerEvent.Stopped, stopped.Request.Event);
        Assert.Equal(0, stopped.Request.NumWant);
        Assert.Equal(0, h.Calls.Reader.Count);
    }

    [Fact]
    public async Task Tiers_are_tried_in_order_and_failures_are_events_not_exceptions()
    {
        await using var h = new Harness();
        h.Tracker("http://a1/announce").Respond = _ => throw new TrackerException("a1 is down");
        h.Tracker("http://a2/announce").Respond = _ => throw new TrackerException("refused") { IsFailureReason = true };
        h.Tracker("http://b/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
        var failures = new List<PeerDiscoveryErrorEventArgs>();
        var announcer = h.Register([["http://a1/announce", "http://a2/announce"], ["http://b/announce"]], failures);

        var calls = new[] { await h.NextCallAsync(), await h.NextCallAsync(), await h.NextCallAsync() };
        Assert.Equal(["http://a1/announce", "http://a2/announce"], calls[..2].Select(c => c.Tracker.ToString()).Order());
        Assert.Equal("http://b/announce", calls[2].Tracker.ToString());
        Assert.All(calls, c => Assert.Equal(TrackerEvent.Started, c.Request.Event));
        await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
        lock (failures)
        {
            Assert.Equal(2, failures.Count);
            Assert.All(failures, f => Assert.Equal(PeerSource.Tracker, f.Source));
            Assert.Contains(failures, f => f.Detail == "http://a1/announce" && f.Error.Message == "a1 is down");
            Assert.Contains(failures, f => f.Detail == "http://a2/announce" && f.Error is TrackerException { IsFailureReason: true });
        }

        // Next round: the first tier again (BEP 12), then b without "started" (it already acknowledged it).
        await h.AdvanceAsync(announcer, TimeSpan.FromMinutes(30));
        var round2 = new[] { await h.NextCallAsync(), await h.NextCallAsync(), await h.NextCallAsync() };
        Assert.Equal("http://b/announce", round2[2].Tracker.ToString());
        Assert.Equal(TrackerEvent.None, round2[2].Request.Event);
    }

    [Fact]
    public async Task By_default_one_tier_answers_per_round_and_with_AnnounceToAllTiers_every_tier_does_on_its_own_interval()
    {
        await using (var h = new Harness())
        {
            h.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
            h.Tracker("http://b/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
            var announcer = h.Register([["http://a/announce"], ["http://b/announce"]]);
            Assert.Equal("http://a/announce", (await h.NextCallAsync()).Tracker.ToString());
            await h.AssertNoCallAsync(announcer);
        }

        await using var all = new Harness(options: o => new PeerDiscoveryOptions
        {
            EnableDht = false, EnableLocalDiscovery = false, TrackerClientFactory = o.TrackerClientFactory, TimeProvider = o.TimeProvider,
            Random = o.Random, AnnounceToAllTiers = true,
        });
        all.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
        all.Tracker("http://b/announce").Respond = _ => Response(TimeSpan.FromMinutes(10));
        var both = all.Register([["http://a/announce"], ["http://b/announce"]]);
        var first = new[] { await all.NextCallAsync(), await all.NextCallAsync() };
        Assert.Equal(["http://a/announce", "http://b/announce"], first.Select(c => c.Tracker.ToString()).Order());
        Assert.All(first, c => Assert.Equal(TrackerEvent.Started, c.Request.Event));
        await all.AdvanceAsync(both, TimeSpan.FromMinutes(10));
        var second = await all.NextCallAsync();
        Assert.Equal("http://b/announce", second.Tracker.ToString());
        await all.AssertNoCallAsync(both);

        await both.NotifyCompletedAsync().AsTask().WaitAsync(Wait);
        var completed = new[] { await all.NextCallAsync(), await all.NextCallAsync() };
        Assert.All(completed, c => Assert.Equal(TrackerEvent.Completed, c.Request.Event));
        await both.DisposeAsync().AsTask().WaitAsync(Wait);
        var stopped = new[] { await all.NextCallAsync(), await all.NextCallAsync() };
        Assert.All(stopped, c => Assert.Equal(TrackerEvent.Stopped, c.Request.Event));
    }

    [Fact]
    public async Task The_tracker_that_answered_is_promoted_to_the_front_of_its_tier()
    {
        await using var h = new Harness(seed: 7);
        var answering = new HashSet<string>();
        foreach (var url in new[] { "http://x/announce", "http://y/announce", "http://z/announce" })
        {
            h.Tracker(url).Respond = _ =>
            {
                lock (answering)
                {
                    // The first tracker asked fails; every later one answers.
                    if (answering.Count == 0) { answering.Add(url); throw new TrackerException("first fails"); }
                }
                return Response(TimeSpan.FromMinutes(10));
            };
        }
        var announcer = (TorrentAnnouncer)h.Register([["http://x/announce", "http://y/announce", "http://z/announce"]]);
        var failed = await h.NextCallAsync();
        var answered = await h.NextCallAsync();
        await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
        Assert.Equal(answered.Tracker, announcer.TrackerTiers[0][0]);

        await h.AdvanceAsync(announcer, TimeSpan.FromMinutes(10));
        var next = await h.NextCallAsync();
        Assert.Equal(answered.Tracker, next.Tracker);
        Assert.NotEqual(failed.Tracker, next.Tracker);
    }

    [Fact]
    public async Task Failures_back_off_exponentially_up_to_the_cap()
    {
        await using var h = new Harness(options: o => new PeerDiscoveryOptions
        {
            EnableDht = false, EnableLocalDiscovery = false, TrackerClientFactory = o.TrackerClientFactory, TimeProvider = o.TimeProvider,
            Random = o.Random, TrackerRetryInitial = TimeSpan.FromSeconds(15), TrackerRetryMaximum = TimeSpan.FromSeconds(60),
        });
        h.Tracker("http://down/announce").Respond = _ => throw new TrackerException("down");
        var announcer = h.Register([["http://down/announce"]]);
        var times = new List<DateTimeOffset> { (await h.NextCallAsync()).At };
        foreach (var expected in new[] { 15, 30, 60, 60 })
        {
            await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(expected - 1));
            await h.AssertNoCallAsync(announcer);
            await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(1));
            times.Add((await h.NextCallAsync()).At);
        }
        Assert.Equal([15.0, 30, 60, 60], times.Zip(times.Skip(1), (a, b) => (b - a).TotalSeconds));
    }

    [Fact]
    public async Task RequestMorePeers_announces_early_but_never_before_the_min_interval()
    {
        await using var h = new Harness();
        h.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(30), minInterval: TimeSpan.FromMinutes(2));
        var announcer = h.Register([["http://a/announce"]]);
        await h.NextCallAsync();

        await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(10));
        announcer.RequestMorePeers();
        await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(100));
        await h.AssertNoCallAsync(announcer);
        await h.AdvanceAsync(announcer, TimeSpan.FromSeconds(10));
        var early = await h.NextCallAsync();
        Assert.Equal(Harness.Start + TimeSpan.FromMinutes(2), early.At);
        Assert.Equal(TrackerEvent.None, early.Request.Event);

        // Past the min interval a request goes at once.
        await h.AdvanceAsync(announcer, TimeSpan.FromMinutes(5));
        announcer.RequestMorePeers();
        var immediate = await h.NextCallAsync();
        Assert.Equal(Harness.Start + TimeSpan.FromMinutes(7), immediate.At);
    }

    [Fact]
    public async Task A_full_peer_channel_drops_peers_instead_of_blocking()
    {
        await using var h = new Harness(channelCapacity: 2);
        var many = Enumerable.Range(1, 50).Select(i => new IPEndPoint(IPAddress.Loopback, 7000 + i)).ToList();
        h.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(1), peers: many);
        var announcer = h.Register([["http://a/announce"]]);
        await h.NextCallAsync();
        await h.AdvanceAsync(announcer, TimeSpan.FromMinutes(1));
        await h.NextCallAsync();
        await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
        Assert.Equal(2, h.Peers.Reader.Count);
    }

    [Fact]
    public async Task Unsupported_tracker_schemes_are_reported_and_the_rest_announce()
    {
        await using var discovery = new PeerDiscovery(new PeerDiscoveryOptions { EnableDht = false, EnableLocalDiscovery = false });
        var failures = new List<PeerDiscoveryErrorEventArgs>();
        discovery.Failed += (_, e) => { lock (failures) failures.Add(e); };
        var channel = Channel.CreateUnbounded<DiscoveredPeer>();
        var announcer = discovery.Register(new DiscoveryTarget
        {
            InfoHash = new byte[20], PeerId = new byte[20], ListenPort = 1,
            TrackerTiers = [[new Uri("gopher://nope/announce"), new Uri("wss://tracker.example"), new Uri("http://127.0.0.1:1/announce")]],
            GetTotals = () => new TransferTotals(0, 0, null),
        }, channel.Writer);
        var failure = Assert.Single(failures);
        Assert.Equal(PeerSource.Tracker, failure.Source);
        Assert.Equal("gopher://nope/announce", failure.Detail);
        Assert.IsType<ArgumentException>(failure.Error);
        // The WebSocket tracker is left to the WebRTC layer; only the HTTP tracker is announced to here.
        Assert.Equal([[new Uri("http://127.0.0.1:1/announce")]], ((TorrentAnnouncer)announcer).TrackerTiers);
        await announcer.DisposeAsync().AsTask().WaitAsync(Wait);
    }

    [Fact]
    public async Task A_tracker_that_never_answers_times_out_on_the_clock_and_the_next_tier_is_tried()
    {
        await using var h = new Harness();
        h.Tracker("http://silent/announce").Hang = _ => true;
        h.Tracker("http://b/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
        var failures = new List<PeerDiscoveryErrorEventArgs>();
        var announcer = h.Register([["http://silent/announce"], ["http://b/announce"]], failures);
        Assert.Equal("http://silent/announce", (await h.NextCallAsync()).Tracker.ToString());
        await Task.Delay(100);
        Assert.Equal(0, h.Calls.Reader.Count);
        h.Time.Advance(TimeSpan.FromSeconds(30)); // TrackerRequestTimeout
        var next = await h.NextCallAsync();
        Assert.Equal("http://b/announce", next.Tracker.ToString());
        Assert.Equal(Harness.Start + TimeSpan.FromSeconds(30), next.At);
        await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
        lock (failures) Assert.IsType<TimeoutException>(Assert.Single(failures).Error);
    }

    [Fact]
    public async Task Disposal_waits_for_stopped_no_longer_than_its_timeout()
    {
        await using var h = new Harness();
        h.Tracker("http://a/announce").Respond = _ => Response(TimeSpan.FromMinutes(30));
        h.Tracker("http://a/announce").Hang = r => r.Event == TrackerEvent.Stopped;
        var announcer = h.Register([["http://a/announce"]]);
        await h.NextCallAsync();
        await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
        var disposing = announcer.DisposeAsync().AsTask();
        Assert.Equal(TrackerEvent.Stopped, (await h.NextCallAsync()).Request.Event);
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(5)); // StoppedAnnounceTimeout
        await disposing.WaitAsync(Wait);
    }

    private static AnnounceResponse Response(TimeSpan interval, TimeSpan? minInterval = null, string? trackerId = null, IReadOnlyList<IPEndPoint>? peers = null) =>
        new(interval, minInterval, trackerId, 1, 1, peers ?? [], null);

    internal sealed record Call(Uri Tracker, AnnounceRequest Request, DateTimeOffset At);

    internal sealed class FakeTracker(Uri uri, Harness harness) : ITrackerClient
    {
        public Func<AnnounceRequest, AnnounceResponse> Respond { get; set; } = _ => throw new TrackerException("no behaviour");

        /// <summary>When it returns true for a request, the tracker never answers it (until cancelled).</summary>
        public Func<AnnounceRequest, bool>? Hang { get; set; }

        public Uri Uri { get; } = uri;

        public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken = default)
        {
            // Wait until the test subscribed to the announcer's events.
            await harness.Subscribed.Task.WaitAsync(cancellationToken);
            harness.Calls.Writer.TryWrite(new Call(Uri, request, harness.Time.GetUtcNow()));
            if (Hang?.Invoke(request) == true) await Task.Delay(Timeout.Infinite, cancellationToken);
            return Respond(request);
        }

        public Task<ScrapeResponse> ScrapeAsync(IReadOnlyList<ReadOnlyMemory<byte>> infoHashes, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public void Dispose()
        {
        }
    }

    internal sealed class Harness : IAsyncDisposable
    {
        public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        private readonly Dictionary<string, FakeTracker> _trackers = new(StringComparer.Ordinal);

        public Harness(int seed = 1, int channelCapacity = 1000, Func<PeerDiscoveryOptions, PeerDiscoveryOptions>? options = null)
        {
            var baseOptions = new PeerDiscoveryOptions
            {
                EnableDht = false,
                EnableLocalDiscovery = false,
                TimeProvider = Time,
                Random = new Random(seed),
                TrackerClientFactory = uri => Tracker(uri.ToString()),
            };
            Discovery = new PeerDiscovery(options is null ? baseOptions : options(baseOptions));
            Peers = Channel.CreateBounded<DiscoveredPeer>(new BoundedChannelOptions(channelCapacity) { FullMode = BoundedChannelFullMode.Wait });
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public Channel<Call> Calls { get; } = Channel.CreateUnbounded<Call>();

        public Channel<DiscoveredPeer> Peers { get; }

        public PeerDiscovery Discovery { get; }

        public long Left { get; set; } = 1000;

        public TaskCompletionSource Subscribed { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeTracker Tracker(string url)
        {
            url = new Uri(url).ToString();
            lock (_trackers)
            {
                if (!_trackers.TryGetValue(url, out var tracker)) _trackers[url] = tracker = new FakeTracker(new Uri(url), this);
                return tracker;
            }
        }

        public ITorrentAnnouncer Register(string[][] tiers, List<PeerDiscoveryErrorEventArgs>? failures = null)
        {
            // Failures raised on the loop are collected from the first announce on: subscribe through a wrapper target.
            var announcer = Discovery.Register(new DiscoveryTarget
            {
                InfoHash = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray(),
                PeerId = "-WT0001-abcdefghijkl"u8.ToArray(),
                ListenPort = 6881,
                TrackerTiers = tiers.Select(t => (IReadOnlyList<Uri>)t.Select(u => new Uri(u)).ToList()).ToList(),
                GetTotals = () => new TransferTotals(10, 20, Left),
            }, Peers.Writer);
            if (failures is not null) announcer.SourceFailed += (_, e) => { lock (failures) failures.Add(e); };
            Subscribed.TrySetResult();
            return announcer;
        }

        public async Task<Call> NextCallAsync() => await Calls.Reader.ReadAsync().AsTask().WaitAsync(Wait);

        public async Task AdvanceAsync(ITorrentAnnouncer announcer, TimeSpan by)
        {
            await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
            Time.Advance(by);
        }

        public async Task AssertNoCallAsync(ITorrentAnnouncer announcer)
        {
            await ((TorrentAnnouncer)announcer).WhenTrackerIdleAsync().WaitAsync(Wait);
            Assert.False(Calls.Reader.TryRead(out var call), $"unexpected announce {call}");
        }

        public async ValueTask DisposeAsync() => await Discovery.DisposeAsync().AsTask().WaitAsync(Wait);
    }
}
