using Microsoft.Extensions.Time.Testing;
using WebTorrent.Choking;

namespace WebTorrent.Tests;

public class ChokerTests
{
    private static ChokeCandidate<string> Peer(string name, double down, double up = 0, bool interested = true) => new(name, interested, down, up);

    private static (Choker<string> Choker, FakeTimeProvider Time) Create(int slots = 2, int seed = 1)
    {
        var time = new FakeTimeProvider();
        return (new Choker<string>(new ChokerOptions { RegularSlots = slots, RandomSeed = seed, TimeProvider = time }), time);
    }

    [Fact]
    public void Leeching_unchokes_the_fastest_uploaders_to_us_plus_one_optimistic()
    {
        var (choker, _) = Create();
        ChokeCandidate<string>[] peers = [Peer("slow", 10, 900), Peer("fast", 500), Peer("faster", 900), Peer("mid", 100)];
        var unchoked = choker.Recompute(peers, seeding: false);
        Assert.Equal(3, unchoked.Count);
        Assert.Contains("fast", unchoked);
        Assert.Contains("faster", unchoked);
        Assert.True(choker.TryGetOptimisticPeer(out var optimistic));
        Assert.Contains(optimistic, new[] { "slow", "mid" });
        Assert.Contains(optimistic, unchoked);
    }

    [Fact]
    public void Seeding_ranks_by_upload_rate()
    {
        var (choker, _) = Create(slots: 1);
        var unchoked = choker.Recompute([Peer("a", 900, 1), Peer("b", 1, 50), Peer("c", 0, 10)], seeding: true);
        Assert.Contains("b", unchoked);
        Assert.DoesNotContain("a", unchoked.Where(p => !choker.TryGetOptimisticPeer(out var o) || o != p));
    }

    [Fact]
    public void Uninterested_peers_stay_choked_and_few_peers_are_all_unchoked()
    {
        var (choker, _) = Create(slots: 3);
        Assert.Equal(["a", "b"], choker.Recompute([Peer("a", 1), Peer("b", 2), Peer("bored", 99, 99, interested: false)], false).Order());
        Assert.Empty(choker.Recompute([], false));
        Assert.False(choker.TryGetOptimisticPeer(out _));
    }

    [Fact]
    public void The_optimistic_unchoke_is_kept_for_the_interval_then_rotates_over_everyone()
    {
        var (choker, time) = Create(slots: 1);
        ChokeCandidate<string>[] peers = [Peer("top", 1000), Peer("a", 0), Peer("b", 0), Peer("c", 0), Peer("d", 0)];
        choker.Recompute(peers, false);
        choker.TryGetOptimisticPeer(out var first);
        for (var i = 0; i < 2; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            choker.Recompute(peers, false);
            Assert.True(choker.TryGetOptimisticPeer(out var same));
            Assert.Equal(first, same);
        }
        var seen = new HashSet<string> { first };
        string previous = first;
        for (var i = 0; i < 40; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            var unchoked = choker.Recompute(peers, false);
            Assert.True(choker.TryGetOptimisticPeer(out var current));
            Assert.NotEqual(previous, current);          // rotation always moves on when there is someone else
            Assert.NotEqual("top", current);
            Assert.Equal(["top", current], unchoked.Order().ToArray().OrderBy(p => p != "top"));
            seen.Add(current);
            previous = current;
        }
        Assert.Equal(["a", "b", "c", "d"], seen.Order());
    }

    [Fact]
    public void A_departed_or_promoted_optimistic_peer_is_replaced_at_once()
    {
        var (choker, _) = Create(slots: 1);
        choker.Recompute([Peer("top", 1000), Peer("a", 0), Peer("b", 0)], false);
        choker.TryGetOptimisticPeer(out var optimistic);
        var other = optimistic == "a" ? "b" : "a";
        var unchoked = choker.Recompute([Peer("top", 1000), Peer(other, 0)], false);
        Assert.True(choker.TryGetOptimisticPeer(out var replaced));
        Assert.Equal(other, replaced);
        Assert.Equal(["top", other], unchoked.OrderBy(p => p != "top"));

        // The optimistic peer turned out fastest: it takes the regular slot and another peer gets the optimistic one.
        unchoked = choker.Recompute([Peer("top", 1), Peer(other, 5000)], false);
        Assert.True(choker.TryGetOptimisticPeer(out var next));
        Assert.Equal("top", next);
        Assert.Equal(2, unchoked.Count);
    }
}
