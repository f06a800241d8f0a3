namespace WebRtc.Sctp;

/// <summary>
/// The fragments of one stream's ordered messages waiting for reassembly, sorted by SSN then TSN in a balanced tree:
/// each insert costs O(log n) however the fragments arrive (a sorted list cost O(n) per fragment arriving in reverse,
/// O(n²) per message under the association lock). Every fragment is charged to the association's
/// <see cref="ReassemblyBudget"/> while it waits.
/// </summary>
internal sealed class OrderedReassemblyQueue(ReassemblyBudget budget)
{
    private readonly FragmentOrder _order = new();
    private SortedSet<InboundFragment>? _fragments;

    /// <summary>Fragments waiting.</summary>
    public int Count => _fragments?.Count ?? 0;

    /// <summary>Comparisons made so far: lets tests check the cost grows as n log n, not by the clock.</summary>
    public long Comparisons => _order.Count;

    private SortedSet<InboundFragment> Fragments => _fragments ??= new SortedSet<InboundFragment>(_order);

    /// <summary>Adds a fragment; false (nothing charged) when one with the same SSN and TSN already waits.</summary>
    public bool Add(in InboundFragment fragment)
    {
        if (!Fragments.Add(fragment)) return false;
        budget.Charge(fragment.Length);
        return true;
    }

    /// <summary>
    /// Collects into <paramref name="message"/> the fragments of message <paramref name="ssn"/> when all of them are
    /// here (beginning, consecutive TSNs, end); false when it is not complete yet. They stay queued until
    /// <see cref="Remove"/>.
    /// </summary>
    public bool TryCollect(ushort ssn, List<InboundFragment> message, out int totalLength)
    {
        message.Clear();
        totalLength = 0;
        if (_fragments is not { Count: > 0 }) return false;
        foreach (var fragment in _fragments)
        {
            if (message.Count == 0)
            {
                if (fragment.Ssn != ssn || !fragment.IsBeginning) return false;
            }
            else if (fragment.Ssn != ssn || fragment.Tsn != message[^1].Tsn + 1)
            {
                return false;
            }
            message.Add(fragment);
            totalLength += fragment.Length;
            if (fragment.IsEnd) return true;
        }
        return false;
    }

    /// <summary>Removes collected fragments (their buffers now belong to the delivered message).</summary>
    public void Remove(List<InboundFragment> fragments)
    {
        foreach (var fragment in fragments)
        {
            if (Fragments.Remove(fragment)) budget.Refund(fragment.Length);
        }
    }

    /// <summary>Removes every fragment of an SSN up to <paramref name="ssn"/> (abandoned by FORWARD-TSN), handing each to <paramref name="release"/>.</summary>
    public void RemoveThrough(ushort ssn, Action<InboundFragment> release)
    {
        while (_fragments is { Count: > 0 } && (short)(_fragments.Min.Ssn - ssn) <= 0)
        {
            var first = _fragments.Min;
            _fragments.Remove(first);
            budget.Refund(first.Length);
            release(first);
        }
    }

    /// <summary>Removes everything (stream reset, association closed), handing each fragment to <paramref name="release"/>.</summary>
    public void Clear(Action<InboundFragment> release)
    {
        if (_fragments is null) return;
        foreach (var fragment in _fragments)
        {
            budget.Refund(fragment.Length);
            release(fragment);
        }
        _fragments.Clear();
    }

    /// <summary>
    /// SSN order then TSN. Serial arithmetic makes it a total order because the association only queues SSNs within
    /// 32767 after the next expected one, and TSNs within its TSN window.
    /// </summary>
    private sealed class FragmentOrder : IComparer<InboundFragment>
    {
        public long Count;

        public int Compare(InboundFragment a, InboundFragment b)
        {
            Count++;
            var bySsn = (short)(a.Ssn - b.Ssn);
            if (bySsn != 0) return bySsn;
            return (int)(a.Tsn - b.Tsn);
        }
    }
}

/// <summary>
/// Bytes of ordered fragments waiting for reassembly across an association's streams, each counted with a fixed
/// overhead (its buffer and tree node), against <see cref="SctpOptions.MaxReassemblyBytes"/>.
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

    public void Charge(int length) => Used += length + FragmentOverhead;

    public void Refund(int length) => Used -= length + FragmentOverhead;
}
