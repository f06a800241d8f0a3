using System.Net;
using System.Net.Sockets;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Routing;
using WebTorrent.Dht.Storage;

namespace WebTorrent.Dht;

internal enum LookupKind : byte
{
    FindNode,
    GetPeers,
    Scrape,
    Get,
}

/// <summary>
/// One iterative Kademlia lookup: candidates sorted by distance to the target, at most alpha queries in flight,
/// finished when the k closest live candidates have all answered (or failed), or early when the goal is met.
/// Driven by reply callbacks under the node's lock; no thread of its own.
/// </summary>
internal sealed class Lookup
{
    private const int MaxCandidates = 128;
    private readonly DhtNode _node;
    private readonly List<Candidate> _candidates = [];
    private readonly HashSet<NodeId> _seenIds = [];
    private readonly HashSet<EndPoint> _seenEndPoints = [];
    private readonly HashSet<IPEndPoint> _peerSet = [];
    private readonly CandidateComparer _comparer;
    private int _inFlight;

    public Lookup(DhtNode node, NodeId target, LookupKind kind, int stopAfterPeers, TaskCompletionSource<Lookup> completion,
        byte[]? publicKey, byte[]? salt)
    {
        _node = node;
        Target = target;
        Kind = kind;
        StopAfterPeers = stopAfterPeers;
        Completion = completion;
        PublicKey = publicKey;
        Salt = salt;
        _comparer = new CandidateComparer(target);
    }

    public NodeId Target { get; }

    public LookupKind Kind { get; }

    public int StopAfterPeers { get; }

    public TaskCompletionSource<Lookup> Completion { get; }

    public byte[]? PublicKey { get; }

    public byte[]? Salt { get; }

    public bool Done { get; private set; }

    public int Queries { get; private set; }

    public int Responses { get; private set; }

    public int Rounds { get; private set; }

    public List<IPEndPoint> Peers { get; } = [];

    public byte[]? ImmutableValue { get; private set; }

    public DhtMutableItem? MutableItem { get; private set; }

    public byte[] BloomSeeds { get; } = new byte[ScrapeBloomFilter.Size];

    public byte[] BloomPeers { get; } = new byte[ScrapeBloomFilter.Size];

    public int BloomResponses { get; private set; }

    /// <summary>Adds a starting candidate (depth 1). A default id means unknown (a bootstrap address).</summary>
    public void AddSeed(DhtNodeInfo node, bool knownId) => AddCandidate(node, knownId, 1);

    public int CandidateCount => _candidates.Count;

    /// <summary>Issues queries; returns true when the lookup has just finished. Caller holds the node's lock.</summary>
    public bool Pump(DhtNode.LookupContext context)
    {
        if (Done) return false;
        var considered = 0;
        for (var i = 0; i < _candidates.Count && considered < context.K; i++)
        {
            var candidate = _candidates[i];
            if (candidate.State == CandidateState.Failed) continue;
            considered++;
            if (candidate.State != CandidateState.NotQueried || _inFlight >= context.Alpha) continue;
            if (Queries >= context.MaxQueries) break;
            if (!context.Send(this, candidate))
            {
                candidate.State = CandidateState.Failed;
                considered--;
                continue;
            }
            candidate.State = CandidateState.InFlight;
            _inFlight++;
            Queries++;
        }
        if (_inFlight > 0) return false;
        Done = true;
        return true;
    }

    /// <summary>Takes a reply (null on timeout); returns new peers found. Caller holds the node's lock, then pumps.</summary>
    public List<IPEndPoint>? OnReply(Candidate candidate, KrpcReply? reply, NodeId localId, AddressFamily reachable)
    {
        _inFlight--;
        if (Done) return null;
        if (reply is null || reply.IsError)
        {
            candidate.State = CandidateState.Failed;
            return null;
        }
        candidate.State = CandidateState.Responded;
        Responses++;
        Rounds = Math.Max(Rounds, candidate.Depth);
        candidate.Token = reply.Token;
        if (!candidate.KnownId)
        {
            // A bootstrap address answered: now we know its id and where it sorts.
            _candidates.Remove(candidate);
            candidate.Node = new DhtNodeInfo(reply.Id, candidate.Node.EndPoint);
            candidate.KnownId = true;
            if (_seenIds.Add(reply.Id)) Insert(candidate);
        }
        if (reply.Nodes is { } nodes)
        {
            foreach (var node in nodes)
            {
                if (node.Id == localId) continue;
                if (reachable == AddressFamily.InterNetwork && node.EndPoint.AddressFamily != AddressFamily.InterNetwork) continue;
                AddCandidate(node, true, candidate.Depth + 1);
            }
        }
        List<IPEndPoint>? found = null;
        if (reply.Peers is { } peers && Kind == LookupKind.GetPeers)
        {
            foreach (var peer in peers)
            {
                if (_peerSet.Count >= 10_000 || !_peerSet.Add(peer)) continue;
                Peers.Add(peer);
                (found ??= []).Add(peer);
            }
            if (StopAfterPeers > 0 && Peers.Count >= StopAfterPeers) Done = true;
        }
        if (Kind == LookupKind.Scrape && reply.BloomSeeds is not null && reply.BloomPeers is not null)
        {
            ScrapeBloomFilter.Merge(BloomSeeds, reply.BloomSeeds);
            ScrapeBloomFilter.Merge(BloomPeers, reply.BloomPeers);
            BloomResponses++;
        }
        if (Kind == LookupKind.Get && reply.Value is { } value) TakeItem(reply, value);
        return found;
    }

    /// <summary>Marks the lookup finished (early termination or cancellation); true if it was still running.</summary>
    public bool Finish()
    {
        if (Done) return false;
        Done = true;
        return true;
    }

    /// <summary>The responders closest to the target, closest first, at most <paramref name="k"/>.</summary>
    public List<Candidate> ClosestResponders(int k)
    {
        var result = new List<Candidate>(k);
        foreach (var candidate in _candidates)
        {
            if (candidate.State == CandidateState.Responded && candidate.KnownId) result.Add(candidate);
            if (result.Count == k) break;
        }
        return result;
    }

    private void TakeItem(KrpcReply reply, byte[] value)
    {
        if (PublicKey is null)
        {
            if (ImmutableValue is null && Bep44.ImmutableTarget(value) == Target)
            {
                ImmutableValue = value;
                Done = true;
            }
            return;
        }
        if (reply.PublicKey is null || reply.Signature is null || !reply.HasSequence || !reply.PublicKey.AsSpan().SequenceEqual(PublicKey)) return;
        if (MutableItem is not null && MutableItem.Sequence >= reply.Sequence) return;
        var salt = Salt ?? [];
        if (!Bep44.Verify(reply.PublicKey, salt, reply.Sequence, value, reply.Signature)) return;
        MutableItem = new DhtMutableItem(reply.PublicKey, salt, reply.Sequence, value, reply.Signature);
    }

    private void AddCandidate(DhtNodeInfo node, bool knownId, int depth)
    {
        if (!_seenEndPoints.Add(node.EndPoint)) return;
        if (knownId && !_seenIds.Add(node.Id)) return;
        var candidate = new Candidate { Node = node, KnownId = knownId, Depth = depth };
        if (_candidates.Count >= MaxCandidates)
        {
            // Full: a newcomer farther than every candidate is not worth keeping; else drop the farthest unqueried one.
            var last = _candidates[^1];
            if (last.State != CandidateState.NotQueried || _comparer.Compare(candidate, last) >= 0) return;
            _candidates.RemoveAt(_candidates.Count - 1);
        }
        Insert(candidate);
    }

    private void Insert(Candidate candidate)
    {
        var index = _candidates.BinarySearch(candidate, _comparer);
        _candidates.Insert(index < 0 ? ~index : index, candidate);
    }

    internal enum CandidateState : byte
    {
        NotQueried,
        InFlight,
        Responded,
        Failed,
    }

    internal sealed class Candidate
    {
        public DhtNodeInfo Node = null!;
        public bool KnownId;
        public CandidateState State;
        public int Depth;
        public byte[]? Token;
    }

    private sealed class CandidateComparer(NodeId target) : IComparer<Candidate>
    {
        public int Compare(Candidate? x, Candidate? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (!x!.KnownId || !y!.KnownId) return x.KnownId == y!.KnownId ? 0 : x.KnownId ? -1 : 1;
            return target.CompareDistance(x.Node.Id, y.Node.Id);
        }
    }
}

public sealed partial class DhtNode
{
    /// <summary>What a lookup needs from the node to send a query.</summary>
    internal readonly record struct LookupContext(int K, int Alpha, int MaxQueries, Func<Lookup, Lookup.Candidate, bool> Send);

    private LookupContext? _lookupContext;

    private LookupContext Context => _lookupContext ??= new LookupContext(_options.BucketSize, _options.Alpha, _options.MaxQueriesPerLookup, SendLookupQuery);

    private AddressFamily ReachableFamily =>
        _transport.LocalEndPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetwork } ? AddressFamily.InterNetwork : AddressFamily.Unspecified;

    private async Task<Lookup> RunLookupAsync(NodeId target, LookupKind kind, IEnumerable<DhtNodeInfo?>? seeds, int stopAfterPeers,
        CancellationToken cancellationToken, byte[]? publicKey = null, byte[]? salt = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var completion = NewCompletion<Lookup>();
        var lookup = new Lookup(this, target, kind, stopAfterPeers, completion, publicKey, salt);
        bool finished;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_started) throw new InvalidOperationException("Start the node first (StartAsync).");
            var closest = _table.FindClosest(target, _options.BucketSize * 2);
            foreach (var node in closest) lookup.AddSeed(node.ToInfo(), knownId: true);
            if (seeds is not null)
                foreach (var seed in seeds)
                    if (seed is not null) lookup.AddSeed(seed, knownId: seed.Id != default);
            if (lookup.CandidateCount == 0)
                foreach (var endPoint in _bootstrapAddresses) lookup.AddSeed(new DhtNodeInfo(default, endPoint), knownId: false);
            finished = lookup.Pump(Context);
        }
        if (finished) completion.TrySetResult(lookup);
        if (!cancellationToken.CanBeCanceled) return await completion.Task.ConfigureAwait(false);
        await using (cancellationToken.Register(() =>
        {
            bool stopped;
            lock (_gate) stopped = lookup.Finish();
            if (stopped) completion.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false))
        {
            return await completion.Task.ConfigureAwait(false);
        }
    }

    private bool SendLookupQuery(Lookup lookup, Lookup.Candidate candidate)
    {
        var id = Id;
        var target = lookup.Target;
        var want = WantFlags;
        QueryBuilder build = lookup.Kind switch
        {
            LookupKind.FindNode => (o, t) => KrpcWriter.WriteFindNode(o, t, id, target, want),
            LookupKind.GetPeers => (o, t) => KrpcWriter.WriteGetPeers(o, t, id, target, want),
            LookupKind.Scrape => (o, t) => KrpcWriter.WriteGetPeers(o, t, id, target, want, scrape: true),
            _ => (o, t) => KrpcWriter.WriteGet(o, t, id, target),
        };
        NodeId? expected = candidate.KnownId ? candidate.Node.Id : null;
        // Bootstrap addresses (no id yet) get the single-query retries: losing them would leave us alone.
        var retries = candidate.KnownId ? _options.LookupRetries : Math.Max(_options.LookupRetries, _options.QueryRetries);
        return SendQuery(candidate.Node.EndPoint, expected, retries, build, reply => OnLookupReply(lookup, candidate, reply));
    }

    private void OnLookupReply(Lookup lookup, Lookup.Candidate candidate, KrpcReply? reply)
    {
        List<IPEndPoint>? found;
        bool finished;
        lock (_gate)
        {
            var wasDone = lookup.Done;
            found = lookup.OnReply(candidate, reply, Id, ReachableFamily);
            finished = lookup.Pump(Context) || (!wasDone && lookup.Done);
        }
        if (found is not null && PeerDiscovered is { } handler)
            foreach (var peer in found) handler(this, new DhtPeerEventArgs(lookup.Target, peer, candidate.Node.EndPoint));
        if (finished) lookup.Completion.TrySetResult(lookup);
    }

    private DhtLookupResult ToResult(Lookup lookup, int announcedTo)
    {
        lock (_gate)
        {
            return new DhtLookupResult([.. lookup.Peers], ClosestNodes(lookup), lookup.Queries, lookup.Responses, lookup.Rounds, announcedTo);
        }
    }

    private List<DhtNodeInfo> ClosestNodes(Lookup lookup)
    {
        lock (_gate) return lookup.ClosestResponders(_options.BucketSize).ConvertAll(c => c.Node);
    }

    /// <summary>Sends a store query (announce_peer, put) to the k closest responders that gave a token; counts acknowledgements.</summary>
    private async Task<int> StoreAtClosestAsync(Lookup lookup, Func<byte[], QueryBuilder> builderForToken, CancellationToken cancellationToken)
    {
        var tasks = new List<Task<bool>>();
        lock (_gate)
        {
            foreach (var candidate in lookup.ClosestResponders(_options.BucketSize))
            {
                if (candidate.Token is not { } token) continue;
                var completion = NewCompletion<bool>();
                if (SendQuery(candidate.Node.EndPoint, candidate.Node.Id, _options.QueryRetries, builderForToken(token),
                        reply => completion.TrySetResult(reply is { IsError: false })))
                    tasks.Add(completion.Task);
            }
        }
        var acknowledged = 0;
        foreach (var task in tasks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await task.WaitAsync(cancellationToken).ConfigureAwait(false)) acknowledged++;
        }
        return acknowledged;
    }
}
