namespace WebRtc.Sctp;

/// <summary>
/// The fragments of one stream's ordered messages waiting for reassembly, grouped by SSN: a fragment joins its message
/// in O(1) whatever order fragments arrive in, and a message is sorted once, when its count says it is complete (a
/// sorted list cost O(n) per fragment arriving in reverse, O(n²) per message under the association lock). Every
/// fragment is charged to the association's <see cref="ReassemblyBudget"/> while it waits.
/// </summary>
internal sealed class OrderedReassemblyQueue(ReassemblyBudget budget)
{
    private readonly Dictionary<ushort, PendingMessage> _messages = [];
    private readonly Stack<PendingMessage> _spare = new();
    private readonly CountingComparer _byTsn = new();

    /// <summary>Fragments waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Comparisons made so far: lets tests check the cost grows as n log n, not by the clock.</summary>
    public long Comparisons => _byTsn.Count;

    /// <summary>Adds a fragment to its message.</summary>
    public void Add(in InboundFragment fragment)
    {
        if (!_messages.TryGetValue(fragment.Ssn, out var message))
        {
            message = _spare.TryPop(out var spare) ? spare : new PendingMessage();
            _messages.Add(fragment.Ssn, message);
        }
        message.Add(fragment);
        budget.Charge(fragment.Length);
        Count++;
    }

    /// <summary>
    /// Collects into <paramref name="message"/> the fragments of message <paramref name="ssn"/>, in TSN order, when all
    /// of them are here (one beginning, one end, consecutive TSNs between); false when it is not complete yet, or never
    /// can be (fragments outside its beginning and end: the peer's fault, the stream waits). They stay queued until
    /// <see cref="Release"/>.
    /// </summary>
    public bool TryCollect(ushort ssn, List<InboundFragment> message, out int totalLength)
    {
        message.Clear();
        totalLength = 0;
        if (!_messages.TryGetValue(ssn, out var pending) || !pending.LooksComplete) return false;
        pending.Fragments.Sort(_byTsn);
        var fragments = pending.Fragments;
        for (var i = 0; i < fragments.Count; i++)
        {
            var fragment = fragments[i];
            if (i > 0 && fragment.Tsn != fragments[i - 1].Tsn + 1) return false;
            totalLength += fragment.Length;
        }
        if (!fragments[0].IsBeginning || !fragments[^1].IsEnd) return false;
        message.AddRange(fragments);
        return true;
    }

    /// <summary>Forgets message <paramref name="ssn"/> once delivered (its fragments' buffers now belong to the delivered message).</summary>
    public void Release(ushort ssn)
    {
        if (!_messages.Remove(ssn, out var message)) return;
        foreach (var fragment in message.Fragments) budget.Refund(fragment.Length);
        Count -= message.Fragments.Count;
        Recycle(message);
    }

    /// <summary>Removes every fragment of an SSN up to <paramref name="ssn"/> (abandoned by FORWARD-TSN), handing each to <paramref name="release"/>.</summary>
    public void RemoveThrough(ushort ssn, Action<InboundFragment> release)
    {
        List<ushort>? abandoned = null;
        foreach (var key in _messages.Keys)
        {
            if ((short)(key - ssn) <= 0) (abandoned ??= []).Add(key);
        }
        if (abandoned is null) return;
        foreach (var key in abandoned) Drop(key, release);
    }

    /// <summary>Removes everything (stream reset, association closed), handing each fragment to <paramref name="release"/>.</summary>
    public void Clear(Action<InboundFragment> release)
    {
        foreach (var key in _messages.Keys.ToArray()) Drop(key, release);
    }

    private void Drop(ushort ssn, Action<InboundFragment> release)
    {
        var message = _messages[ssn];
        foreach (var fragment in message.Fragments) release(fragment);
        Release(ssn);
    }

    private void Recycle(PendingMessage message)
    {
        message.Reset();
        if (_spare.Count < 16) _spare.Push(message);
    }

    /// <summary>The fragments of one SSN as they arrived, and what says they may all be here.</summary>
    private sealed class PendingMessage
    {
        private uint? _beginningTsn;
        private uint? _endTsn;

        public List<InboundFragment> Fragments { get; } = [];

        /// <summary>A beginning and an end, and as many fragments as TSNs from one to the other.</summary>
        public bool LooksComplete => _beginningTsn is { } b && _endTsn is { } e && (int)(e - b) >= 0 && Fragments.Count == (long)(e - b) + 1;

        public void Add(in InboundFragment fragment)
        {
            Fragments.Add(fragment);
            if (fragment.IsBeginning) _beginningTsn ??= fragment.Tsn;
            if (fragment.IsEnd) _endTsn ??= fragment.Tsn;
        }

        public void Reset()
        {
            Fragments.Clear();
            _beginningTsn = null;
            _endTsn = null;
        }
    }

    /// <summary>TSN order (serial arithmetic: one message's TSNs lie within the association's TSN window).</summary>
    private sealed class CountingComparer : IComparer<InboundFragment>
    {
        public long Count;

        public int Compare(InboundFragment a, InboundFragment b)
        {
            Count++;
            return (int)(a.Tsn - b.Tsn);
        }
    }
}

/// <summary>
/// Bytes of ordered fragments waiting for reassembly across an association's streams, each counted with a fixed
/// overhead (its buffer and bookkeeping), against <see cref="SctpOptions.MaxReassemblyBytes"/>.
/// </summary>
internal sealed class ReassemblyBudget(long maxBytes)
{
    /// <summary>What one waiting fragment costs beyond its bytes, roughly.</summary>
    public const int FragmentOverhead = 128;

    /// <summary>Bytes charged now.</summary>
    public long Used { get; private set; }

    /// <summary>Whether a fragment of <paramref name="length"/> bytes fits.</summary>
    public bool HasRoomFor(int length) => Used + length + FragmentOverhead <= maxBytes;

    /// <summary>Whether a fragment fits in twice the budget: the next in-order chunk may use it, so the message at the head can always complete.</summary>
    public bool HasReserveFor(int length) => Used + length + FragmentOverhead <= 2 * maxBytes;

    /// <summary>Counts a fragment that starts waiting.</summary>
    public void Charge(int length) => Used += length + FragmentOverhead;

    /// <summary>Uncounts a fragment that stops waiting.</summary>
    public void Refund(int length) => Used -= length + FragmentOverhead;
}
