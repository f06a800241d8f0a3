using WebRtc.Sctp.Chunks;

namespace WebRtc.Sctp;

/// <summary>One DATA chunk on the send side, from the moment it is queued until acknowledged or abandoned. Pooled.</summary>
internal sealed class OutboundChunk
{
    public uint Tsn;
    public ushort StreamId;
    public ushort Ssn;
    public uint PayloadProtocol;
    public DataChunkFlags Flags;
    public byte[]? Buffer;
    public int Length;
    public long MessageId;
    public int MaxRetransmits; // -1: reliable
    public long ExpiresAt;     // timestamp, long.MaxValue: never
    public long SentAt;
    public int Transmissions;
    public int MissIndications;
    public bool InFlight;
    public bool Acked;
    public bool Abandoned;
    public bool NeedsRetransmit;
    public bool Released; // its bytes no longer count as buffered
    public bool FastRetransmitted;

    public bool Unordered => (Flags & DataChunkFlags.Unordered) != 0;

    public bool IsBeginning => (Flags & DataChunkFlags.Beginning) != 0;

    public void Reset()
    {
        Buffer = null;
        Length = 0;
        Tsn = 0;
        Ssn = 0;
        Transmissions = 0;
        MissIndications = 0;
        InFlight = Acked = Abandoned = NeedsRetransmit = Released = FastRetransmitted = false;
    }
}

/// <summary>The chunks with TSNs assigned and not yet cumulatively acknowledged, in TSN order: a growable ring.</summary>
internal sealed class ChunkRing
{
    private OutboundChunk[] _items = new OutboundChunk[256];
    private int _head;

    public int Count { get; private set; }

    public OutboundChunk this[int index] => _items[(_head + index) & (_items.Length - 1)];

    public void Add(OutboundChunk chunk)
    {
        if (Count == _items.Length)
        {
            var bigger = new OutboundChunk[_items.Length * 2];
            for (var i = 0; i < Count; i++) bigger[i] = this[i];
            _items = bigger;
            _head = 0;
        }
        _items[(_head + Count) & (_items.Length - 1)] = chunk;
        Count++;
    }

    public OutboundChunk RemoveFirst()
    {
        var chunk = _items[_head];
        _items[_head] = null!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return chunk;
    }
}

/// <summary>Which TSNs above the cumulative TSN were received: a ring of bits.</summary>
internal sealed class TsnBitmap
{
    /// <summary>How far above the cumulative TSN a chunk may be and still be accepted.</summary>
    public const int Capacity = 1 << 16;
    private readonly ulong[] _bits = new ulong[Capacity / 64];

    public bool Contains(uint tsn) => (_bits[(tsn & (Capacity - 1)) >> 6] & (1UL << (int)(tsn & 63))) != 0;

    public void Set(uint tsn) => _bits[(tsn & (Capacity - 1)) >> 6] |= 1UL << (int)(tsn & 63);

    public void Clear(uint tsn) => _bits[(tsn & (Capacity - 1)) >> 6] &= ~(1UL << (int)(tsn & 63));

    public void ClearAll() => Array.Clear(_bits);
}

/// <summary>A fragment of a message being reassembled.</summary>
internal readonly record struct InboundFragment(uint Tsn, ushort Ssn, uint PayloadProtocol, DataChunkFlags Flags, byte[] Buffer, int Length)
{
    public bool IsBeginning => (Flags & DataChunkFlags.Beginning) != 0;

    public bool IsEnd => (Flags & DataChunkFlags.End) != 0;
}

/// <summary>Receive state of one stream: the next SSN to deliver and the fragments waiting.</summary>
internal sealed class InboundStream(ReassemblyBudget budget)
{
    public ushort ExpectedSsn;
    public readonly OrderedReassemblyQueue Ordered = new(budget);
    public readonly List<InboundFragment> Unordered = [];
}

/// <summary>Send state of one stream.</summary>
internal sealed class OutboundStream
{
    public ushort NextSsn;
    public ushort CurrentSsn;
    public long Buffered;
    public int PendingChunks;
    public bool ResetRequested;
    public bool NotifyPending;
}
