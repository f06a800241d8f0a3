using System.Buffers;
using Microsoft.Extensions.Logging;
using WebTorrent.Engine;
using WebTorrent.Picking;
using WebTorrent.Protocol;
using WebTorrent.Storage;
using PickedBlock = WebTorrent.Picking.BlockRequest;
using WireRequest = WebTorrent.Protocol.BlockRequest;

using ProtocolViolationException = WebTorrent.Protocol.ProtocolViolationException;

namespace WebTorrent;

public sealed partial class Torrent
{
    /// <summary>Most failed pieces kept in memory to find out, once the piece passes, which peer sent the bad blocks.</summary>
    private const int MaxFailedPiecesKept = 32;

    [ThreadStatic]
    private static List<PeerConnection>? t_cancels;

    /// <summary>Tests only: when set, called before a verified piece is written or a block read to upload; an exception it returns is thrown as the storage's.</summary>
    internal Func<int, Exception?>? StorageFaultForTests { get; set; }

    private readonly Dictionary<int, PieceBuffer> _pieceBuffers = [];
    private readonly Dictionary<int, PieceBuffer> _failedPieces = [];
    private readonly Dictionary<int, List<TaskCompletionSource>> _pieceWaiters = [];

    /// <summary>Per peer: picks blocks and requests them while the peer has what we want and lets us.</summary>
    private async Task RunDownloadsAsync(PeerConnection c, CancellationToken cancellationToken)
    {
        var picks = new PickedBlock[Math.Min(_options.MaxRequestsPerPeer, 256)];
        var limiter = _client.DownloadLimiter;
        try
        {
            while (await c.WakeReader.WaitToReadAsync(cancellationToken))
            {
                c.WakeReader.TryRead(out _);
                while (true)
                {
                    var count = 0;
                    bool? interest = null;
                    lock (_gate)
                    {
                        if (c.Detached || !c.InPicker || _picker is null || _state is not (TorrentState.Downloading or TorrentState.Seeding)) break;
                        var wire = c.Wire;
                        if (c.WantsPieces && !wire.PeerChoking)
                        {
                            var depth = Math.Min(_options.MaxRequestsPerPeer, wire.RemoteExtendedHandshake?.RequestQueueLength ?? 250);
                            var free = Math.Min(depth - c.InFlight, picks.Length);
                            if (free > 0)
                            {
                                count = _picker.PickBlocks(c, picks.AsSpan(0, free));
                                c.InFlight += count;
                            }
                            if (count == 0 && c.InFlight == 0 && !_picker.IsInterestedIn(c)) c.WantsPieces = false;
                        }
                        if (c.WantsPieces != wire.AmInterested) interest = c.WantsPieces;
                    }
                    if (interest is { } interested)
                    {
                        if (interested) await c.Wire.SendInterestedAsync(cancellationToken);
                        else await c.Wire.SendNotInterestedAsync(cancellationToken);
                    }
                    if (limiter.IsUnlimited)
                    {
                        // One write for the whole pick instead of one per 17-byte request.
                        using var batch = c.Wire.BatchRequests();
                        for (var i = 0; i < count; i++) _ = FetchBlockAsync(c, picks[i]);
                    }
                    else
                    {
                        for (var i = 0; i < count; i++)
                        {
                            await limiter.TakeAsync(picks[i].Length, cancellationToken);
                            _ = FetchBlockAsync(c, picks[i]);
                        }
                    }
                    if (count == 0) break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The wire closed or the torrent stopped.
        }
#pragma warning disable CA1031 // Anything else is a bug: log it and drop the peer rather than leave it stalled.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Torrent}: download loop of {Peer} failed", Name, c.EndPoint);
            c.Wire.Abort(ex);
        }
    }

    private async Task FetchBlockAsync(PeerConnection c, PickedBlock block)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(block.Length);
        var received = false;
        try
        {
            var token = c.BeginRequest(block.PieceIndex, block.Offset);
            try
            {
                await c.Wire.RequestBlockAsync(block.PieceIndex, block.Offset, buffer.AsMemory(0, block.Length), token);
                received = true;
            }
            catch (Exception ex) when (ex is BlockRequestException or OperationCanceledException or InvalidOperationException or IOException or ArgumentOutOfRangeException)
            {
                // Rejected, choked, cancelled (end game), timed out or closed: the block goes back to the picker.
            }
            finally
            {
                c.EndRequest(block.PieceIndex, block.Offset);
            }
            if (received)
            {
                Interlocked.Add(ref _downloaded, block.Length);
                _client.Metrics.BytesDownloaded.Add(block.Length);
                await OnBlockAsync(c, block, buffer);
            }
            else
            {
                lock (_gate)
                {
                    if (c.InPicker) _picker!.OnRequestRejected(c, block.PieceIndex, block.Offset);
                }
            }
        }
#pragma warning disable CA1031 // Anything else: before the block arrived it is the wire's fault (drop it); after, storing it broke (the torrent's).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Torrent}: handling block {Piece}/{Offset} failed", Name, block.PieceIndex, block.Offset);
            if (received) Fail(ex);
            else c.Wire.Abort(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            lock (_gate) c.InFlight--;
            c.Wake();
        }
    }

    private async Task OnBlockAsync(PeerConnection c, PickedBlock block, byte[] data)
    {
        PieceBuffer? complete = null;
        // Filled under the lock and used right after it on the same thread (no await in between): no list per block.
        var cancels = t_cancels ??= [];
        cancels.Clear();
        lock (_gate)
        {
            if (!c.InPicker || _picker is null) return;
            var receipt = _picker.OnBlockReceived(c, block.PieceIndex, block.Offset, block.Length, cancels);
            if (receipt is BlockReceipt.Accepted or BlockReceipt.PieceComplete)
            {
                if (!_pieceBuffers.TryGetValue(block.PieceIndex, out var piece))
                {
                    piece = new PieceBuffer(_picker.GetPieceSize(block.PieceIndex), _picker.BlockSize);
                    _pieceBuffers.Add(block.PieceIndex, piece);
                }
                piece.Add(block.Offset, data.AsSpan(0, block.Length), c);
                if (receipt == BlockReceipt.PieceComplete)
                {
                    _pieceBuffers.Remove(block.PieceIndex);
                    complete = piece;
                }
            }
        }
        foreach (var other in cancels) other.CancelRequest(block.PieceIndex, block.Offset);
        cancels.Clear();
        if (complete is not null) await VerifyAndStoreAsync(block.PieceIndex, complete);
    }

    /// <summary>A piece has all its blocks: check its hash, write it, announce it; or forget it and find who sent bad data.</summary>
    private async Task VerifyAndStoreAsync(int piece, PieceBuffer buffer)
    {
        var returnBuffer = true;
        try
        {
            var layout = _layout!;
            var valid = layout.VerifyPiece(piece, buffer.Span);
            if (!valid)
            {
                _client.Metrics.PiecesFailed.Add(1);
                _logger.LogWarning("{Torrent}: piece {Piece} failed its hash check", Name, piece);
                returnBuffer = !OnPieceFailed(piece, buffer);
                return;
            }
            await StoreVerifiedPieceAsync(piece, buffer);
        }
        catch (ObjectDisposedException)
        {
            // Removed while writing.
        }
        finally
        {
            if (returnBuffer) buffer.Return();
        }
    }

    /// <summary>A piece passed its hash check (from peers' blocks in <paramref name="buffer"/>, or whole from a web seed): write, mark, announce.</summary>
    private async Task StoreVerifiedPieceAsync(int piece, PieceBuffer buffer)
    {
        {
            var storage = _storage!;
            try
            {
                if (StorageFaultForTests?.Invoke(piece) is { } fault) throw fault;
                await storage.WriteAsync(piece, 0, buffer.Memory);
            }
#pragma warning disable CA1031 // Whatever the storage throws (IOException, UnauthorizedAccessException, ArgumentException...), the torrent cannot go on.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                // Fail does nothing when the torrent was removed meanwhile (the storage is then disposed).
                _logger.LogError(ex, "{Torrent}: writing piece {Piece} failed", Name, piece);
                Fail(ex);
                return;
            }
            List<TaskCompletionSource>? waiters;
            PieceBuffer? earlierFailure;
            bool completed;
            PeerConnection[] connections;
            PieceBuffer? orphan;
            lock (_gate)
            {
                if (_picker is null || _state is TorrentState.Stopped) return;
                // Peers may have started the piece meanwhile (a web seed fetched it whole): their partial goes.
                _pieceBuffers.Remove(piece, out orphan);
                if (ReferenceEquals(orphan, buffer)) orphan = null;
                _picker.MarkHave(piece);
                _verified!.Set(piece);
                var stored = IsPieceStorable(piece);
                if (stored) _stored!.Set(piece);
                _pieceWaiters.Remove(piece, out waiters);
                _failedPieces.Remove(piece, out earlierFailure);
                completed = !_done && _picker.IsDone;
                if (completed)
                {
                    _done = true;
                    if (_state == TorrentState.Downloading) _state = TorrentState.Seeding;
                }
                connections = stored ? [.. _connections.Where(c => c.Announced)] : [];
            }
            orphan?.Return();
            _client.Metrics.PiecesVerified.Add(1);
            if (waiters is not null) foreach (var waiter in waiters) waiter.TrySetResult();
            if (earlierFailure is not null)
            {
                foreach (var culprit in earlierFailure.FindDifferingSenders(buffer.Span)) Strike(culprit);
                earlierFailure.Return();
            }
            foreach (var c in connections) Send(c.Wire.SendHaveAsync(piece));
            Raise(PieceVerified, piece);
            if (completed) OnCompleted();
        }
    }

    /// <summary>Returns true when the buffer is kept (to compare with the good copy later).</summary>
    private bool OnPieceFailed(int piece, PieceBuffer buffer)
    {
        var senders = buffer.Senders;
        bool keep;
        lock (_gate)
        {
            _picker?.MarkFailed(piece);
            keep = senders.Count > 1 && !_failedPieces.ContainsKey(piece) && _failedPieces.Count < MaxFailedPiecesKept;
            if (keep) _failedPieces.Add(piece, buffer);
        }
        // One sender: it alone is to blame. Several: decided when the piece passes, block by block; when too many
        // failures are pending to keep them all, every sender is suspect.
        if (senders.Count == 1 || !keep)
        {
            foreach (var sender in senders) Strike(sender);
        }
        foreach (var c in SnapshotConnections()) c.Wake();
        return keep;
    }

    /// <summary>Whether a piece written now is entirely on disk: every real file it touches is selected. Caller holds the lock.</summary>
    private bool IsPieceStorable(int piece)
    {
        var metainfo = _metainfo!;
        var start = (long)piece * metainfo.PieceLength;
        var end = start + _picker!.GetPieceSize(piece);
        foreach (var file in _files)
        {
            if (file.IsPadding || file.Length == 0 || file.Offset >= end || file.Offset + file.Length <= start) continue;
            if (!_storage!.IsFileSelected(file.Index)) return false;
        }
        return true;
    }

    private void OnRequest(PeerConnection c, WireRequest request)
    {
        bool serve;
        lock (_gate) serve = _stored is { } stored && (uint)request.Index < (uint)stored.Length && stored[request.Index];
        if (!serve || !c.Uploads.Writer.TryWrite(request)) Send(c.Wire.SendRejectAsync(request));
    }

    /// <summary>Per peer: answers its requests from storage, in order, within the upload rate limit.</summary>
    private async Task RunUploadsAsync(PeerConnection c, CancellationToken cancellationToken)
    {
        var limiter = _client.UploadLimiter;
        byte[]? buffer = null;
        try
        {
            await foreach (var request in c.Uploads.Reader.ReadAllAsync(cancellationToken))
            {
                var storage = _storage;
                if (storage is null || request.Length <= 0)
                {
                    await c.Wire.SendRejectAsync(request, cancellationToken);
                    continue;
                }
                if (!limiter.IsUnlimited) await limiter.TakeAsync(request.Length, cancellationToken);
                if (buffer is null || buffer.Length < request.Length)
                {
                    if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(request.Length);
                }
                var block = buffer.AsMemory(0, request.Length);
                int read;
                try
                {
                    if (StorageFaultForTests?.Invoke(request.Index) is { } fault) throw fault;
                    read = await storage.ReadAsync(request.Index, request.Begin, block, cancellationToken);
                }
                catch (ArgumentOutOfRangeException)
                {
                    read = -1;
                }
                catch (IOException ex)
                {
                    _logger.LogWarning(ex, "{Torrent}: reading piece {Piece} to upload failed", Name, request.Index);
                    read = -1;
                }
#pragma warning disable CA1031 // Any other storage error (UnauthorizedAccessException, ArgumentException...) is the torrent's, not this peer's.
                catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
#pragma warning restore CA1031
                {
                    _logger.LogError(ex, "{Torrent}: reading piece {Piece} to upload failed", Name, request.Index);
                    Fail(ex);
                    return;
                }
                if (read != request.Length)
                {
                    await c.Wire.SendRejectAsync(request, cancellationToken);
                    continue;
                }
                if (await c.Wire.SendPieceAsync(request.Index, request.Begin, block, cancellationToken))
                {
                    Interlocked.Add(ref _uploaded, request.Length);
                    _client.Metrics.BytesUploaded.Add(request.Length);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The wire closed or the torrent stopped.
        }
#pragma warning disable CA1031 // Anything else is a bug: log it and drop the peer rather than leave it stalled.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Torrent}: upload loop of {Peer} failed", Name, c.EndPoint);
            c.Wire.Abort(ex);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Completes when piece <paramref name="piece"/> is verified.</summary>
    internal Task WaitForPieceAsync(int piece, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state == TorrentState.Stopped) throw new ObjectDisposedException(nameof(Torrent), $"The torrent {Name} was removed.");
            if (_state == TorrentState.Error) throw new IOException($"The torrent {Name} failed: {_error?.Message}", _error);
            if (_verified is null) throw new InvalidOperationException("The metadata is not known yet.");
            if (_stored![piece]) return Task.CompletedTask;
            if (_verified[piece] && !_stored[piece])
            {
                // Verified while its file was deselected, so not all of it is on disk: fetch it again.
                _picker!.MarkMissing(piece);
                _verified.Clear(piece);
                _done = false;
            }
            if (!_pieceWaiters.TryGetValue(piece, out var waiters)) _pieceWaiters[piece] = waiters = [];
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add(waiter);
            return waiter.Task.WaitAsync(cancellationToken);
        }
    }

    internal bool IsPieceStored(int piece)
    {
        lock (_gate) return _stored is { } stored && stored[piece];
    }

    internal TorrentStorage Storage => _storage ?? throw new ObjectDisposedException(nameof(Torrent));

    internal int PieceLengthInternal => _metainfo!.PieceLength;

    internal int OpenReadWindow(long position)
    {
        lock (_gate)
        {
            if (_state == TorrentState.Stopped) throw new ObjectDisposedException(nameof(Torrent), $"The torrent {Name} was removed.");
            var id = _picker!.OpenReadWindow(position);
            foreach (var c in _connections) c.WantsPieces = true;
            return id;
        }
    }

    internal void MoveReadWindow(int id, long position)
    {
        PeerConnection[] connections;
        lock (_gate)
        {
            if (_picker is null || _state == TorrentState.Stopped) return;
            _picker.MoveReadWindow(id, position);
            foreach (var c in _connections) c.WantsPieces = true;
            connections = [.. _connections];
        }
        foreach (var c in connections) c.Wake();
    }

    internal void CloseReadWindow(int id)
    {
        lock (_gate) _picker?.CloseReadWindow(id);
    }

    /// <summary>Make sure a file's bytes are written to disk (a stream reads it, or it was selected).</summary>
    internal void EnsureStored(TorrentFile file)
    {
        lock (_gate)
        {
            if (_storage is null || file.IsPadding || _storage.IsFileSelected(file.Index)) return;
            _storage.SetFileSelected(file.Index, true);
        }
    }

    internal void SetFilePriority(TorrentFile file, FilePriority priority)
    {
        if (!Enum.IsDefined(priority)) throw new ArgumentOutOfRangeException(nameof(priority));
        PeerConnection[] connections;
        lock (_gate)
        {
            if (file.PriorityUnlocked == priority) return;
            file.PriorityUnlocked = priority;
            if (_picker is null) return;
            _picker.SetFilePriority(file.Index, (PiecePriority)priority);
            _storage!.SetFileSelected(file.Index, priority != FilePriority.Skip);
            if (priority != FilePriority.Skip && file.Length > 0)
            {
                // Pieces verified while this file was skipped were only partly written: fetch them again.
                var first = (int)(file.Offset / _picker.PieceLength);
                var last = (int)((file.Offset + file.Length - 1) / _picker.PieceLength);
                for (var piece = first; piece <= last; piece++)
                {
                    if (!_verified![piece] || _stored![piece]) continue;
                    _picker.MarkMissing(piece);
                    _verified.Clear(piece);
                }
            }
            var wasDone = _done;
            _done = _picker.IsDone;
            if (wasDone && !_done)
            {
                if (_completed.Task.IsCompleted) _completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_state == TorrentState.Seeding) _state = TorrentState.Downloading;
            }
            foreach (var c in _connections) c.WantsPieces = true;
            connections = [.. _connections];
            if (!wasDone && _done && _state == TorrentState.Downloading) _state = TorrentState.Seeding;
        }
        foreach (var c in connections) c.Wake();
        if (_done) OnCompleted();
        TryDial();
    }

    internal long FileVerifiedBytes(TorrentFile file)
    {
        lock (_gate) return VerifiedBytesUnlocked(file.Offset, file.Length);
    }

    /// <summary>A piece being assembled from blocks, with who sent each block.</summary>
    private sealed class PieceBuffer
    {
        private readonly byte[] _data;
        private readonly PeerConnection?[] _senders;
        private readonly int _blockSize;

        public PieceBuffer(int size, int blockSize)
        {
            _data = ArrayPool<byte>.Shared.Rent(size);
            Size = size;
            _blockSize = blockSize;
            _senders = new PeerConnection?[(size + blockSize - 1) / blockSize];
        }

        public int Size { get; }

        public ReadOnlySpan<byte> Span => _data.AsSpan(0, Size);

        public ReadOnlyMemory<byte> Memory => _data.AsMemory(0, Size);

        /// <summary>The whole piece, to fill at once (a web seed).</summary>
        public Memory<byte> Writable => _data.AsMemory(0, Size);

        public IReadOnlyCollection<PeerConnection> Senders => [.. _senders.OfType<PeerConnection>().Distinct()];

        public void Add(int offset, ReadOnlySpan<byte> block, PeerConnection sender)
        {
            block.CopyTo(_data.AsSpan(offset));
            _senders[offset / _blockSize] = sender;
        }

        /// <summary>The peers whose blocks differ from <paramref name="good"/>, the same piece as it passed its check.</summary>
        public HashSet<PeerConnection> FindDifferingSenders(ReadOnlySpan<byte> good)
        {
            var culprits = new HashSet<PeerConnection>();
            for (var block = 0; block < _senders.Length; block++)
            {
                var offset = block * _blockSize;
                var length = Math.Min(_blockSize, Size - offset);
                if (_senders[block] is { } sender && !_data.AsSpan(offset, length).SequenceEqual(good.Slice(offset, length))) culprits.Add(sender);
            }
            return culprits;
        }

        public void Return() => ArrayPool<byte>.Shared.Return(_data);
    }
}
