using System.Net;

namespace WebTorrent.Dht.Routing;

/// <summary>BEP 5 liveness of a node in the routing table.</summary>
public enum NodeStatus : byte
{
    /// <summary>Answered a query of ours within the good window (15 minutes by default), or queried us since answering once.</summary>
    Good,

    /// <summary>Not heard from within the good window, or never answered: worth a ping before trusting.</summary>
    Questionable,

    /// <summary>Failed to answer several queries in a row: replaced as soon as possible.</summary>
    Bad,
}

/// <summary>What happened to a node offered to the routing table.</summary>
public enum RoutingAddResult : byte
{
    /// <summary>Added to a bucket.</summary>
    Added,

    /// <summary>Already there; its liveness was refreshed.</summary>
    Updated,

    /// <summary>Its bucket is full of good nodes: kept in the bucket's replacement cache.</summary>
    Cached,

    /// <summary>Refused (our own id, or a known id at a different endpoint).</summary>
    Rejected,
}

/// <summary>A node held by the routing table, with its liveness record (times in Unix milliseconds).</summary>
public sealed class RoutingNode
{
    internal RoutingNode(NodeId id, EndPoint endPoint)
    {
        Id = id;
        EndPoint = endPoint;
    }

    /// <summary>The node id.</summary>
    public NodeId Id { get; }

    /// <summary>Where the node is reached.</summary>
    public EndPoint EndPoint { get; internal set; }

    /// <summary>Last time it answered one of our queries (0 = never).</summary>
    public long LastResponded { get; internal set; }

    /// <summary>Last time we heard anything from it.</summary>
    public long LastSeen { get; internal set; }

    /// <summary>Queries in a row it failed to answer.</summary>
    public int FailedQueries { get; internal set; }

    /// <summary>A value-equal snapshot for the public API.</summary>
    public DhtNodeInfo ToInfo() => new(Id, EndPoint);
}

/// <summary>
/// The Kademlia routing table of BEP 5: k-buckets covering the id space, the bucket holding our own id split when
/// full, node liveness (good / questionable / bad), a replacement cache per bucket, and stale-bucket tracking for
/// refreshes. Not thread-safe: <see cref="DhtNode"/> serialises access.
/// </summary>
public sealed class RoutingTable
{
    private readonly List<Bucket> _buckets = [];
    private readonly TimeProvider _time;
    private readonly Dictionary<NodeId, RoutingNode> _byId = [];

    /// <summary>Creates an empty table around <paramref name="localId"/>.</summary>
    /// <param name="localId">Our node id.</param>
    /// <param name="bucketSize">k, nodes per bucket (8 in BEP 5).</param>
    /// <param name="timeProvider">Clock for liveness.</param>
    /// <param name="goodWindow">How long a node stays good without contact (15 minutes in BEP 5).</param>
    /// <param name="maxFailures">Failed queries in a row that make a node bad.</param>
    public RoutingTable(NodeId localId, int bucketSize = 8, TimeProvider? timeProvider = null, TimeSpan? goodWindow = null, int maxFailures = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        LocalId = localId;
        BucketSize = bucketSize;
        _time = timeProvider ?? TimeProvider.System;
        GoodWindow = goodWindow ?? TimeSpan.FromMinutes(15);
        MaxFailures = maxFailures;
        _buckets.Add(new Bucket(Now));
    }

    /// <summary>Our node id.</summary>
    public NodeId LocalId { get; }

    /// <summary>k.</summary>
    public int BucketSize { get; }

    /// <summary>How long a node stays good without contact.</summary>
    public TimeSpan GoodWindow { get; }

    /// <summary>Failed queries in a row that make a node bad.</summary>
    public int MaxFailures { get; }

    /// <summary>Nodes in buckets (not counting replacement caches).</summary>
    public int Count { get; private set; }

    /// <summary>Number of buckets.</summary>
    public int BucketCount => _buckets.Count;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The liveness of <paramref name="node"/> now.</summary>
    public NodeStatus StatusOf(RoutingNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.FailedQueries >= MaxFailures) return NodeStatus.Bad;
        var window = (long)GoodWindow.TotalMilliseconds;
        var now = Now;
        if (node.LastResponded > 0 && now - node.LastResponded < window) return NodeStatus.Good;
        if (node.LastResponded > 0 && now - node.LastSeen < window) return NodeStatus.Good;
        return NodeStatus.Questionable;
    }

    /// <summary>Looks up a node by id.</summary>
    public RoutingNode? Find(NodeId id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// Offers a node heard from. <paramref name="responded"/> is true when it answered our query (verified), false
    /// when it only queried us or was named by someone else. When its bucket is full and holds a questionable node,
    /// the newcomer is cached and <paramref name="pingCandidate"/> names the node to ping: when that node fails
    /// (<see cref="MarkFailed"/>), the newcomer takes its place.
    /// </summary>
    public RoutingAddResult TryAdd(NodeId id, EndPoint endPoint, bool responded, out RoutingNode? pingCandidate)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        pingCandidate = null;
        if (id == LocalId) return RoutingAddResult.Rejected;
        var now = Now;
        if (_byId.TryGetValue(id, out var existing))
        {
            // A known id from a new address is either a restart or a spoof: keep the verified one.
            if (!existing.EndPoint.Equals(endPoint))
            {
                if (StatusOf(existing) == NodeStatus.Good) return RoutingAddResult.Rejected;
                existing.EndPoint = endPoint;
            }
            existing.LastSeen = now;
            if (responded)
            {
                existing.LastResponded = now;
                existing.FailedQueries = 0;
            }
            BucketFor(id).LastChanged = now;
            return RoutingAddResult.Updated;
        }

        var node = new RoutingNode(id, endPoint) { LastSeen = now, LastResponded = responded ? now : 0 };
        while (true)
        {
            var index = BucketIndex(id);
            var bucket = _buckets[index];
            if (bucket.Nodes.Count < BucketSize)
            {
                Insert(bucket, node, now);
                return RoutingAddResult.Added;
            }
            if (index == _buckets.Count - 1 && _buckets.Count < 160)
            {
                Split();
                continue;
            }
            RoutingNode? worst = null;
            foreach (var candidate in bucket.Nodes)
            {
                var status = StatusOf(candidate);
                if (status == NodeStatus.Bad)
                {
                    Remove(bucket, candidate);
                    Insert(bucket, node, now);
                    return RoutingAddResult.Added;
                }
                if (status == NodeStatus.Questionable && (worst is null || candidate.LastSeen < worst.LastSeen)) worst = candidate;
            }
            Cache(bucket, node);
            pingCandidate = worst;
            return RoutingAddResult.Cached;
        }
    }

    /// <summary>Records that <paramref name="id"/> answered a query.</summary>
    public void MarkResponded(NodeId id)
    {
        if (!_byId.TryGetValue(id, out var node)) return;
        node.LastResponded = node.LastSeen = Now;
        node.FailedQueries = 0;
    }

    /// <summary>
    /// Records that <paramref name="id"/> failed to answer a query. Once bad, it is replaced by the freshest node
    /// of the replacement cache, or removed when the cache is empty and <paramref name="removeWhenBad"/>.
    /// </summary>
    /// <returns>True when the node left the table.</returns>
    public bool MarkFailed(NodeId id, bool removeWhenBad = true)
    {
        if (!_byId.TryGetValue(id, out var node)) return false;
        node.FailedQueries++;
        if (node.FailedQueries < MaxFailures) return false;
        var bucket = BucketFor(id);
        if (bucket.Replacements.Count == 0 && !removeWhenBad) return false;
        Remove(bucket, node);
        if (bucket.Replacements.Count > 0)
        {
            var replacement = bucket.Replacements[^1];
            bucket.Replacements.RemoveAt(bucket.Replacements.Count - 1);
            Insert(bucket, replacement, Now);
        }
        return true;
    }

    /// <summary>Removes a node (e.g. one that answered with the wrong id).</summary>
    public bool Remove(NodeId id)
    {
        if (!_byId.TryGetValue(id, out var node)) return false;
        Remove(BucketFor(id), node);
        return true;
    }

    /// <summary>
    /// Writes the nodes closest to <paramref name="target"/> by XOR distance, closest first, into
    /// <paramref name="destination"/> (its length is how many are wanted) and returns how many were written.
    /// Bad nodes are skipped. Allocation-free.
    /// </summary>
    public int FindClosest(NodeId target, Span<RoutingNode?> destination)
    {
        var count = 0;
        var capacity = destination.Length;
        if (capacity == 0) return 0;
        // Distances of the kept nodes, computed once each: the hot comparison is three word compares.
        Span<NodeId> distances = capacity <= 64 ? stackalloc NodeId[capacity] : new NodeId[capacity];
        foreach (var bucket in _buckets)
        {
            foreach (var node in bucket.Nodes)
            {
                if (node.FailedQueries >= MaxFailures) continue;
                var distance = node.Id.Xor(target);
                if (count == capacity && distance.CompareTo(distances[count - 1]) >= 0) continue;
                var position = count < capacity ? count++ : capacity - 1;
                while (position > 0 && distance.CompareTo(distances[position - 1]) < 0)
                {
                    destination[position] = destination[position - 1];
                    distances[position] = distances[position - 1];
                    position--;
                }
                destination[position] = node;
                distances[position] = distance;
            }
        }
        return count;
    }

    /// <summary>The closest <paramref name="count"/> nodes to <paramref name="target"/>, closest first.</summary>
    public List<RoutingNode> FindClosest(NodeId target, int count)
    {
        var buffer = new RoutingNode?[count];
        var found = FindClosest(target, buffer);
        var result = new List<RoutingNode>(found);
        for (var i = 0; i < found; i++) result.Add(buffer[i]!);
        return result;
    }

    /// <summary>Every node in the buckets.</summary>
    public IEnumerable<RoutingNode> Nodes => _buckets.SelectMany(b => b.Nodes);

    /// <summary>
    /// Random targets inside each bucket not changed for <paramref name="staleAfter"/>: a find_node lookup of each
    /// refreshes the bucket (BEP 5). The bucket's clock restarts so a failed refresh is not retried at once.
    /// </summary>
    public List<NodeId> TakeStaleBucketTargets(TimeSpan staleAfter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var now = Now;
        var result = new List<NodeId>();
        for (var i = 0; i < _buckets.Count; i++)
        {
            var bucket = _buckets[i];
            if (now - bucket.LastChanged < staleAfter.TotalMilliseconds) continue;
            bucket.LastChanged = now;
            result.Add(LocalId.WithRandomSuffix(Math.Min(i, 159), random, flip: i < _buckets.Count - 1));
        }
        return result;
    }

    /// <summary>Questionable nodes, least recently seen first, worth a ping.</summary>
    public List<RoutingNode> QuestionableNodes(int max)
    {
        var result = new List<RoutingNode>();
        foreach (var bucket in _buckets)
            foreach (var node in bucket.Nodes)
                if (StatusOf(node) == NodeStatus.Questionable) result.Add(node);
        result.Sort((a, b) => a.LastSeen.CompareTo(b.LastSeen));
        if (result.Count > max) result.RemoveRange(max, result.Count - max);
        return result;
    }

    private int BucketIndex(NodeId id) => Math.Min(LocalId.CommonPrefixLength(id), _buckets.Count - 1);

    private Bucket BucketFor(NodeId id) => _buckets[BucketIndex(id)];

    private void Insert(Bucket bucket, RoutingNode node, long now)
    {
        bucket.Nodes.Add(node);
        bucket.LastChanged = now;
        _byId[node.Id] = node;
        Count++;
    }

    private void Remove(Bucket bucket, RoutingNode node)
    {
        if (bucket.Nodes.Remove(node))
        {
            _byId.Remove(node.Id);
            Count--;
        }
    }

    private void Cache(Bucket bucket, RoutingNode node)
    {
        var replacements = bucket.Replacements;
        for (var i = 0; i < replacements.Count; i++)
        {
            if (replacements[i].Id == node.Id)
            {
                replacements.RemoveAt(i);
                break;
            }
        }
        if (replacements.Count >= BucketSize) replacements.RemoveAt(0);
        replacements.Add(node);
    }

    private void Split()
    {
        var last = _buckets[^1];
        var depth = _buckets.Count - 1;
        var next = new Bucket(last.LastChanged);
        _buckets.Add(next);
        for (var i = last.Nodes.Count - 1; i >= 0; i--)
        {
            var node = last.Nodes[i];
            if (LocalId.CommonPrefixLength(node.Id) > depth)
            {
                last.Nodes.RemoveAt(i);
                next.Nodes.Add(node);
            }
        }
        for (var i = last.Replacements.Count - 1; i >= 0; i--)
        {
            var node = last.Replacements[i];
            if (LocalId.CommonPrefixLength(node.Id) > depth)
            {
                last.Replacements.RemoveAt(i);
                next.Replacements.Add(node);
            }
        }
    }

    private sealed class Bucket(long now)
    {
        public List<RoutingNode> Nodes { get; } = new(8);

        public List<RoutingNode> Replacements { get; } = [];

        public long LastChanged { get; set; } = now;
    }
}
