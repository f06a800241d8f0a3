using System.Collections;

using WebTorrent.Metainfo;

namespace WebTorrent.Picking;

/// <summary>Creates <see cref="PiecePicker{TPeer}"/> instances.</summary>
public static class PiecePicker
{
    /// <summary>
    /// A picker for <paramref name="torrent"/>'s pieces (v1, hybrid, or v2-only where each file starts on a piece boundary);
    /// its padding files start as <see cref="PiecePriority.Skip"/>.
    /// </summary>
    public static PiecePicker<TPeer> Create<TPeer>(TorrentMetainfo torrent, PiecePickerOptions? options = null) where TPeer : notnull
    {
        ArgumentNullException.ThrowIfNull(torrent);
        (long Offset, long Length)[] files = [.. torrent.Files.Select(f => (f.Offset, f.Length))];
        PiecePicker<TPeer> picker;
        if (torrent.Version == TorrentVersion.V2)
        {
            var ends = files.Select(f => f.Offset + f.Length).ToArray();
            var spaceLength = ends.Length == 0 ? 0 : ends.Max();
            int PieceSize(int piece)
            {
                var start = (long)piece * torrent.PieceLength;
                var index = Array.FindIndex(ends, end => end > start);   // the file holding this piece
                return (int)Math.Min(torrent.PieceLength, ends[index] - start);
            }
            picker = new PiecePicker<TPeer>(torrent.PieceCount, torrent.PieceLength, spaceLength, files, options, PieceSize);
        }
        else
        {
            picker = new PiecePicker<TPeer>(torrent.PieceCount, torrent.PieceLength, torrent.TotalLength, files, options);
        }
        for (var i = 0; i < torrent.Files.Count; i++)
            if (torrent.Files[i].IsPadding) picker.SetFilePriority(i, PiecePriority.Skip);
        return picker;
    }
}

/// <summary>
/// Decides which blocks to request from which peer: streaming read windows first, then pieces already in progress, then
/// new pieces by file priority and rarest first (random tie-break) or in order (<see cref="Sequential"/>), and finally, in
/// end game, duplicate requests for the last outstanding blocks. Tracks every outstanding block request per peer.
/// </summary>
/// <remarks>
/// Pure state, no I/O and no locking: the engine calls it from one place (its event loop) and does the wire work.
/// The usual cycle: <see cref="PickBlocks"/> → send requests → <see cref="OnBlockReceived"/> (send the cancels it returns)
/// → verify on <see cref="BlockReceipt.PieceComplete"/> → <see cref="MarkHave"/> or <see cref="MarkFailed"/>.
/// </remarks>
/// <typeparam name="TPeer">How the engine identifies a peer (its connection object).</typeparam>
public sealed class PiecePicker<TPeer> where TPeer : notnull
{
    private readonly PiecePickerOptions _options;
    private readonly TimeProvider _time;
    private readonly long _totalLength;
    private readonly Func<int, int>? _pieceSize;
    private readonly BitArray _have;
    private readonly int[] _availability;
    private readonly int[] _tieRank;
    private readonly PiecePriority[] _priority;
    private readonly (long Offset, long Length)[] _files;
    private readonly PiecePriority[] _filePriority;
    private readonly Dictionary<TPeer, PeerState> _peers = [];
    private readonly Dictionary<int, PartialPiece> _partials = [];
    private readonly Dictionary<int, long> _readWindows = [];
    private int _haveAllPeers;
    private int _nextWindowId;

    /// <summary>A picker for <paramref name="pieceCount"/> pieces of <paramref name="pieceLength"/> bytes covering <paramref name="totalLength"/> bytes.</summary>
    /// <param name="pieceCount">The number of pieces.</param>
    /// <param name="pieceLength">The nominal piece length (the last piece may be shorter).</param>
    /// <param name="totalLength">The length of the piece space.</param>
    /// <param name="files">The files as (offset, length) in the piece space, for <see cref="SetFilePriority"/>; null or empty for none.</param>
    /// <param name="options">Options; defaults when null.</param>
    public PiecePicker(int pieceCount, int pieceLength, long totalLength, IReadOnlyList<(long Offset, long Length)>? files = null, PiecePickerOptions? options = null)
        : this(pieceCount, pieceLength, totalLength, files, options, null)
    {
        if (totalLength > (long)pieceCount * pieceLength || totalLength <= (long)(pieceCount - 1) * pieceLength)
            throw new ArgumentOutOfRangeException(nameof(totalLength), "total length does not match the piece count and length");
    }

    /// <summary>With <paramref name="pieceSize"/>, pieces may be short anywhere (v2-only torrents: the last piece of each file).</summary>
    internal PiecePicker(int pieceCount, int pieceLength, long totalLength, IReadOnlyList<(long Offset, long Length)>? files, PiecePickerOptions? options, Func<int, int>? pieceSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLength, 1);
        _pieceSize = pieceSize;
        _options = options ?? new PiecePickerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BlockSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EndGameRequestsPerBlock, 1, nameof(options));
        _time = _options.TimeProvider;
        PieceCount = pieceCount;
        PieceLength = pieceLength;
        _totalLength = totalLength;
        _have = new BitArray(pieceCount);
        _availability = new int[pieceCount];
        _priority = new PiecePriority[pieceCount];
        Array.Fill(_priority, PiecePriority.Normal);
        _files = files?.ToArray() ?? [];
        _filePriority = new PiecePriority[_files.Length];
        Array.Fill(_filePriority, PiecePriority.Normal);
        // One random permutation decides ties between equally rare pieces, so peers of one swarm spread out.
        _tieRank = new int[pieceCount];
        for (var i = 0; i < pieceCount; i++) _tieRank[i] = i;
        var random = _options.RandomSeed is { } seed ? new Random(seed) : new Random();
        random.Shuffle(_tieRank);
    }

    /// <summary>The number of pieces.</summary>
    public int PieceCount { get; }

    /// <summary>The nominal piece length.</summary>
    public int PieceLength { get; }

    /// <summary>The block (request) size.</summary>
    public int BlockSize => _options.BlockSize;

    /// <summary>Pick new pieces in index order instead of rarest first (read windows still come first).</summary>
    public bool Sequential { get; set; }

    /// <summary>How many pieces we have.</summary>
    public int HaveCount { get; private set; }

    /// <summary>True when every wanted piece is had (a piece is wanted when its priority is not Skip).</summary>
    public bool IsDone
    {
        get
        {
            for (var piece = 0; piece < PieceCount; piece++)
                if (!_have[piece] && _priority[piece] != PiecePriority.Skip) return false;
            return true;
        }
    }

    /// <summary>The number of connected peers.</summary>
    public int PeerCount => _peers.Count;

    /// <summary>The size of piece <paramref name="pieceIndex"/>.</summary>
    public int GetPieceSize(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        return _pieceSize?.Invoke(pieceIndex) ?? (int)Math.Min(PieceLength, _totalLength - ((long)pieceIndex * PieceLength));
    }

    /// <summary>Whether we have piece <paramref name="pieceIndex"/>.</summary>
    public bool HavePiece(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        return _have[pieceIndex];
    }

    /// <summary>How many connected peers have piece <paramref name="pieceIndex"/>.</summary>
    public int GetAvailability(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        return _availability[pieceIndex] + _haveAllPeers;
    }

    /// <summary>The priority of piece <paramref name="pieceIndex"/>: the highest of the files it touches.</summary>
    public PiecePriority GetPiecePriority(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        return _priority[pieceIndex];
    }

    /// <summary>Set the priority of file <paramref name="fileIndex"/> (<see cref="PiecePriority.Skip"/> deselects it).</summary>
    public void SetFilePriority(int fileIndex, PiecePriority priority)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, _files.Length);
        if (!Enum.IsDefined(priority)) throw new ArgumentOutOfRangeException(nameof(priority));
        _filePriority[fileIndex] = priority;
        var (offset, length) = _files[fileIndex];
        if (length == 0) return;
        var first = (int)(offset / PieceLength);
        var last = (int)((offset + length - 1) / PieceLength);
        for (var piece = first; piece <= last; piece++) _priority[piece] = ComputePiecePriority(piece);
    }

    /// <summary>Mark piece <paramref name="pieceIndex"/> as had (verified, or found on disk at resume); its requests are dropped.</summary>
    public void MarkHave(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        DropPartial(pieceIndex);
        if (_have[pieceIndex]) return;
        _have[pieceIndex] = true;
        HaveCount++;
    }

    /// <summary>
    /// A wanted piece that nobody is downloading yet (no block requested or received), for a source that fetches whole
    /// pieces (a web seed): highest priority first, then in index order; -1 when there is none.
    /// </summary>
    /// <param name="skip">Pieces to leave out (already being fetched whole elsewhere).</param>
    public int PickUnstartedPiece(Func<int, bool>? skip = null)
    {
        var best = -1;
        for (var piece = 0; piece < PieceCount; piece++)
        {
            if (_have[piece] || _priority[piece] == PiecePriority.Skip || _partials.ContainsKey(piece) || (skip?.Invoke(piece) ?? false)) continue;
            if (best < 0 || _priority[piece] > _priority[best]) best = piece;
        }
        return best;
    }

    /// <summary>
    /// Piece <paramref name="pieceIndex"/> is no longer had (it was verified while part of it could not be stored, and
    /// that part is now wanted): it is picked again like any missing piece.
    /// </summary>
    public void MarkMissing(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        if (!_have[pieceIndex]) return;
        _have[pieceIndex] = false;
        HaveCount--;
    }

    /// <summary>Piece <paramref name="pieceIndex"/> failed its hash check: forget its blocks so it is downloaded again.</summary>
    public void MarkFailed(int pieceIndex)
    {
        CheckPiece(pieceIndex);
        DropPartial(pieceIndex);
    }

    /// <summary>A peer connected (it has nothing until it says so).</summary>
    public void AddPeer(TPeer peer)
    {
        if (!_peers.TryAdd(peer, new PeerState(PieceCount))) throw new InvalidOperationException("peer already added");
    }

    /// <summary>A peer left: its pieces no longer count and its requests are released.</summary>
    public void RemovePeer(TPeer peer)
    {
        if (!_peers.Remove(peer, out var state)) return;
        if (state.HasAll) _haveAllPeers--;
        else
            for (var piece = 0; piece < PieceCount; piece++)
                if (state.Has[piece]) _availability[piece]--;
        ReleaseAll(peer, state);
    }

    /// <summary>A peer's <c>have</c> message.</summary>
    public void PeerHave(TPeer peer, int pieceIndex)
    {
        CheckPiece(pieceIndex);
        var state = GetPeer(peer);
        if (state.HasAll || state.Has[pieceIndex]) return;
        state.Has[pieceIndex] = true;
        _availability[pieceIndex]++;
    }

    /// <summary>A peer's <c>bitfield</c> message (wire format: high bit of the first byte is piece 0). Replaces what it had.</summary>
    /// <exception cref="ArgumentException">The bitfield is too short.</exception>
    public void PeerBitfield(TPeer peer, ReadOnlySpan<byte> bitfield)
    {
        if (bitfield.Length < (PieceCount + 7) / 8) throw new ArgumentException("bitfield too short", nameof(bitfield));
        PeerHaveNone(peer);
        var state = GetPeer(peer);
        for (var piece = 0; piece < PieceCount; piece++)
        {
            if ((bitfield[piece >> 3] & (0x80 >> (piece & 7))) == 0) continue;
            state.Has[piece] = true;
            _availability[piece]++;
        }
    }

    /// <summary>A peer's <c>have all</c> (BEP 6), or a seed's full bitfield.</summary>
    public void PeerHaveAll(TPeer peer)
    {
        PeerHaveNone(peer);
        GetPeer(peer).HasAll = true;
        _haveAllPeers++;
    }

    /// <summary>A peer's <c>have none</c> (BEP 6): it has nothing.</summary>
    public void PeerHaveNone(TPeer peer)
    {
        var state = GetPeer(peer);
        if (state.HasAll)
        {
            state.HasAll = false;
            _haveAllPeers--;
            return;
        }
        for (var piece = 0; piece < PieceCount; piece++)
        {
            if (!state.Has[piece]) continue;
            state.Has[piece] = false;
            _availability[piece]--;
        }
    }

    /// <summary>Whether <paramref name="peer"/> has a piece we want (send <c>interested</c>).</summary>
    public bool IsInterestedIn(TPeer peer)
    {
        var state = GetPeer(peer);
        for (var piece = 0; piece < PieceCount; piece++)
            if (!_have[piece] && IsWanted(piece) && state.HasPiece(piece)) return true;
        return false;
    }

    /// <summary>How many requests to <paramref name="peer"/> are outstanding.</summary>
    public int GetOutstandingRequestCount(TPeer peer) => GetPeer(peer).Outstanding.Count;

    /// <summary>
    /// Start streaming from byte <paramref name="position"/> of the piece space: the pieces of the next
    /// <see cref="PiecePickerOptions.ReadAheadBytes"/> bytes come before anything else, nearest first, even in skipped files.
    /// </summary>
    /// <returns>The window's id, for <see cref="MoveReadWindow"/> and <see cref="CloseReadWindow"/>.</returns>
    public int OpenReadWindow(long position)
    {
        CheckPosition(position);
        var id = ++_nextWindowId;
        _readWindows.Add(id, position);
        return id;
    }

    /// <summary>The reader moved (read on, or seeked) to <paramref name="position"/>.</summary>
    public void MoveReadWindow(int windowId, long position)
    {
        CheckPosition(position);
        if (!_readWindows.ContainsKey(windowId)) throw new ArgumentException("unknown read window", nameof(windowId));
        _readWindows[windowId] = position;
    }

    /// <summary>The reader is done.</summary>
    public void CloseReadWindow(int windowId) => _readWindows.Remove(windowId);

    /// <summary>
    /// Choose up to <paramref name="destination"/>.Length blocks to request from <paramref name="peer"/> now, and record them
    /// as requested from it. The caller decides how many (its request pipeline depth minus what is outstanding).
    /// </summary>
    /// <returns>How many requests were written to <paramref name="destination"/>.</returns>
    public int PickBlocks(TPeer peer, Span<BlockRequest> destination)
    {
        var state = GetPeer(peer);
        var count = 0;
        var now = _time.GetTimestamp();

        // 1. Read windows: what a player is about to read, nearest first.
        foreach (var position in _readWindows.Values)
        {
            var first = (int)(position / PieceLength);
            var last = (int)(Math.Min(_totalLength - 1, position + Math.Max(0, _options.ReadAheadBytes - 1)) / PieceLength);
            for (var piece = first; piece <= last && count < destination.Length; piece++)
                if (!_have[piece] && state.HasPiece(piece)) count += TakeFreeBlocks(peer, state, piece, destination[count..], now);
        }

        // 2. Pieces in progress: finishing them gives verified pieces (shareable) soonest.
        foreach (var piece in _partials.Keys)
        {
            if (count == destination.Length) return count;
            if (IsWanted(piece) && state.HasPiece(piece)) count += TakeFreeBlocks(peer, state, piece, destination[count..], now);
        }

        // 3. New pieces: by priority, then rarest first (random tie-break) or in order.
        while (count < destination.Length)
        {
            var piece = FindNewPiece(state);
            if (piece < 0) break;
            count += TakeFreeBlocks(peer, state, piece, destination[count..], now);
        }

        // 4. End game: nothing left that nobody was asked for; ask this peer too for blocks still in flight.
        if (count < destination.Length && IsEndGame())
        {
            foreach (var (piece, partial) in _partials)
            {
                if (!state.HasPiece(piece) || !IsWanted(piece)) continue;
                for (var block = 0; block < partial.BlockCount && count < destination.Length; block++)
                {
                    if (partial.Received[block]) continue;
                    var holders = partial.Holders[block];
                    if (holders is null || holders.Count >= _options.EndGameRequestsPerBlock || holders.Exists(h => EqualityComparer<TPeer>.Default.Equals(h.Peer, peer))) continue;
                    destination[count++] = Request(peer, state, piece, partial, block, now);
                }
            }
        }
        return count;
    }

    /// <summary>
    /// True when every wanted piece we lack is in progress and each of its missing blocks is already requested: the
    /// point where duplicate requests shorten the tail of the download.
    /// </summary>
    public bool IsEndGame()
    {
        var any = false;
        for (var piece = 0; piece < PieceCount; piece++)
        {
            if (_have[piece] || !IsWanted(piece)) continue;
            if (!_partials.TryGetValue(piece, out var partial) || partial.FreeBlocks > 0) return false;
            any = true;
        }
        return any;
    }

    /// <summary>
    /// A block of <paramref name="length"/> bytes arrived from <paramref name="peer"/>. Other peers asked for the same block
    /// (end game) are added to <paramref name="peersToCancel"/>: send them <c>cancel</c>. A block whose offset or length is
    /// not exactly one of ours is <see cref="BlockReceipt.Unexpected"/>.
    /// </summary>
    public BlockReceipt OnBlockReceived(TPeer peer, int pieceIndex, int offset, int length, ICollection<TPeer>? peersToCancel = null)
    {
        var state = GetPeer(peer);
        if ((uint)pieceIndex >= (uint)PieceCount || offset < 0 || offset % BlockSize != 0) return BlockReceipt.Unexpected;
        var block = offset / BlockSize;
        if (!_partials.TryGetValue(pieceIndex, out var partial) || block >= partial.BlockCount || BlockAt(pieceIndex, block).Length != length)
        {
            return BlockReceipt.Unexpected;
        }
        state.Outstanding.Remove((pieceIndex, block));
        if (partial.Received[block])
        {
            RemoveHolder(partial, block, peer);
            return BlockReceipt.Duplicate;
        }
        if (partial.Holders[block] is { } holders)
        {
            foreach (var holder in holders)
            {
                if (EqualityComparer<TPeer>.Default.Equals(holder.Peer, peer)) continue;
                if (_peers.TryGetValue(holder.Peer, out var other)) other.Outstanding.Remove((pieceIndex, block));
                peersToCancel?.Add(holder.Peer);
            }
            partial.Holders[block] = null;
        }
        else
        {
            partial.FreeBlocks--;
        }
        partial.Received[block] = true;
        partial.ReceivedCount++;
        return partial.ReceivedCount == partial.BlockCount ? BlockReceipt.PieceComplete : BlockReceipt.Accepted;
    }

    /// <summary>The peer rejected (BEP 6) or will not answer one request: the block is offered to others again.</summary>
    public void OnRequestRejected(TPeer peer, int pieceIndex, int offset)
    {
        var state = GetPeer(peer);
        if ((uint)pieceIndex >= (uint)PieceCount || offset < 0 || offset % BlockSize != 0) return;
        var block = offset / BlockSize;
        if (!state.Outstanding.Remove((pieceIndex, block))) return;
        if (_partials.TryGetValue(pieceIndex, out var partial)) RemoveHolder(partial, block, peer);
    }

    /// <summary>Release every request to <paramref name="peer"/> (it choked us, without BEP 6 rejects).</summary>
    public void ReleaseRequests(TPeer peer) => ReleaseAll(peer, GetPeer(peer));

    /// <summary>
    /// Release every request older than <see cref="PiecePickerOptions.RequestTimeout"/> so other peers can be asked, and
    /// report them (the engine may cancel them, or count the peer as slow). A late block is still accepted.
    /// </summary>
    /// <returns>How many requests timed out.</returns>
    public int CollectTimedOutRequests(ICollection<TimedOutRequest<TPeer>> timedOut)
    {
        ArgumentNullException.ThrowIfNull(timedOut);
        var now = _time.GetTimestamp();
        var count = 0;
        foreach (var (piece, partial) in _partials)
        {
            for (var block = 0; block < partial.BlockCount; block++)
            {
                var holders = partial.Holders[block];
                if (holders is null) continue;
                for (var i = holders.Count - 1; i >= 0; i--)
                {
                    if (_time.GetElapsedTime(holders[i].Since, now) < _options.RequestTimeout) continue;
                    var peer = holders[i].Peer;
                    if (_peers.TryGetValue(peer, out var state)) state.Outstanding.Remove((piece, block));
                    timedOut.Add(new TimedOutRequest<TPeer>(peer, BlockAt(piece, block)));
                    count++;
                    RemoveHolder(partial, block, peer);
                }
            }
        }
        return count;
    }

    private int TakeFreeBlocks(TPeer peer, PeerState state, int piece, Span<BlockRequest> destination, long now)
    {
        if (destination.IsEmpty) return 0;
        if (!_partials.TryGetValue(piece, out var partial))
        {
            var blockCount = (GetPieceSize(piece) + BlockSize - 1) / BlockSize;
            partial = new PartialPiece(blockCount);
            _partials.Add(piece, partial);
        }
        var count = 0;
        for (var block = 0; block < partial.BlockCount && partial.FreeBlocks > 0 && count < destination.Length; block++)
        {
            if (partial.Received[block] || partial.Holders[block] is not null) continue;
            destination[count++] = Request(peer, state, piece, partial, block, now);
        }
        return count;
    }

    private BlockRequest Request(TPeer peer, PeerState state, int piece, PartialPiece partial, int block, long now)
    {
        var holders = partial.Holders[block];
        if (holders is null)
        {
            partial.Holders[block] = holders = new List<Holder>(1);
            partial.FreeBlocks--;
        }
        holders.Add(new Holder(peer, now));
        state.Outstanding.Add((piece, block));
        return BlockAt(piece, block);
    }

    private BlockRequest BlockAt(int piece, int block)
    {
        var offset = block * BlockSize;
        return new BlockRequest(piece, offset, Math.Min(BlockSize, GetPieceSize(piece) - offset));
    }

    private int FindNewPiece(PeerState state)
    {
        var best = -1;
        for (var piece = 0; piece < PieceCount; piece++)
        {
            if (_have[piece] || _priority[piece] == PiecePriority.Skip || _partials.ContainsKey(piece) || !state.HasPiece(piece)) continue;
            if (best < 0 || IsBetter(piece, best)) best = piece;
        }
        return best;
    }

    private bool IsBetter(int candidate, int best)
    {
        if (_priority[candidate] != _priority[best]) return _priority[candidate] > _priority[best];
        if (Sequential) return candidate < best;
        if (_availability[candidate] != _availability[best]) return _availability[candidate] < _availability[best];
        return _tieRank[candidate] < _tieRank[best];
    }

    private bool IsWanted(int piece)
    {
        if (_priority[piece] != PiecePriority.Skip) return true;
        foreach (var position in _readWindows.Values)
        {
            var first = position / PieceLength;
            var last = Math.Min(_totalLength - 1, position + Math.Max(0, _options.ReadAheadBytes - 1)) / PieceLength;
            if (piece >= first && piece <= last) return true;
        }
        return false;
    }

    private PiecePriority ComputePiecePriority(int piece)
    {
        var start = (long)piece * PieceLength;
        var end = start + GetPieceSize(piece);
        var result = PiecePriority.Skip;
        var touched = false;
        for (var i = 0; i < _files.Length; i++)
        {
            var (offset, length) = _files[i];
            if (length == 0 || offset >= end || offset + length <= start) continue;
            touched = true;
            if (_filePriority[i] > result) result = _filePriority[i];
        }
        return touched ? result : PiecePriority.Normal;
    }

    private void DropPartial(int piece)
    {
        if (!_partials.Remove(piece, out var partial)) return;
        for (var block = 0; block < partial.BlockCount; block++)
        {
            if (partial.Holders[block] is not { } holders) continue;
            foreach (var holder in holders)
                if (_peers.TryGetValue(holder.Peer, out var state)) state.Outstanding.Remove((piece, block));
        }
    }

    private void ReleaseAll(TPeer peer, PeerState state)
    {
        foreach (var (piece, block) in state.Outstanding)
            if (_partials.TryGetValue(piece, out var partial)) RemoveHolder(partial, block, peer);
        state.Outstanding.Clear();
    }

    private static void RemoveHolder(PartialPiece partial, int block, TPeer peer)
    {
        var holders = partial.Holders[block];
        if (holders is null) return;
        holders.RemoveAll(h => EqualityComparer<TPeer>.Default.Equals(h.Peer, peer));
        if (holders.Count > 0) return;
        partial.Holders[block] = null;
        if (!partial.Received[block]) partial.FreeBlocks++;
    }

    private PeerState GetPeer(TPeer peer) =>
        _peers.TryGetValue(peer, out var state) ? state : throw new InvalidOperationException("unknown peer: call AddPeer first");

    private void CheckPiece(int pieceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
    }

    private void CheckPosition(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, _totalLength);
    }

    private readonly record struct Holder(TPeer Peer, long Since);

    private sealed class PeerState(int pieceCount)
    {
        public BitArray Has { get; } = new(pieceCount);
        public bool HasAll { get; set; }
        public HashSet<(int Piece, int Block)> Outstanding { get; } = [];
        public bool HasPiece(int piece) => HasAll || Has[piece];
    }

    private sealed class PartialPiece(int blockCount)
    {
        public int BlockCount { get; } = blockCount;
        public bool[] Received { get; } = new bool[blockCount];
        public List<Holder>?[] Holders { get; } = new List<Holder>?[blockCount];
        public int ReceivedCount { get; set; }
        public int FreeBlocks { get; set; } = blockCount;
    }
}
