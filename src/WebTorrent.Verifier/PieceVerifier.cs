using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using WorkerPool;

namespace WebTorrent.Verifier;

/// <summary>
/// Verifies every piece of a torrent on all cores: from data in memory, or from its files on disk (a full recheck,
/// e.g. to resume). One reader fills large pooled buffers sequentially while a <see cref="WorkerPool{TInput, TResult}"/>
/// hashes them; pieces are grouped into batches, so nothing is allocated per piece. Results come out in piece order as
/// <see cref="PieceVerified"/> events, and each piece's bit in the caller's <see cref="PieceBitfield"/> is set (valid) or
/// cleared (invalid) just before its event. Cancelling leaves every bit either verified or untouched.
/// </summary>
public sealed class PieceVerifier
{
    private readonly VerifierOptions _options;

    /// <summary>Creates a verifier.</summary>
    /// <param name="options">Options; null for the defaults.</param>
    public PieceVerifier(VerifierOptions? options = null)
    {
        _options = options ?? new VerifierOptions();
        _options.Validate();
    }

    /// <summary>Verifies every piece of data held in memory.</summary>
    /// <param name="layout">The torrent.</param>
    /// <param name="data">The concatenation of the torrent's files (no padding), <see cref="TorrentLayout.TotalLength"/> bytes.</param>
    /// <param name="bitfield">Updated piece by piece; its length must be the piece count.</param>
    /// <param name="cancellationToken">Stops the verification; the bitfield keeps the pieces already reported.</param>
    /// <returns>One event per piece, in piece order.</returns>
    public IAsyncEnumerable<PieceVerified> VerifyAsync(TorrentLayout layout, ReadOnlyMemory<byte> data, PieceBitfield bitfield, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        CheckBitfield(layout, bitfield);
        if (data.Length != layout.TotalLength)
        {
            throw new ArgumentException($"The layout describes {layout.TotalLength} bytes, the data has {data.Length}.", nameof(data));
        }

        return RunAsync(layout, data, directory: null, bitfield, cancellationToken);
    }

    /// <summary>Rechecks every piece from the torrent's files under a directory. Missing, short or unreadable files fail their pieces; they do not throw.</summary>
    /// <param name="layout">The torrent; it must list its files.</param>
    /// <param name="directory">The directory the files' relative paths start from.</param>
    /// <param name="bitfield">Updated piece by piece; its length must be the piece count.</param>
    /// <param name="cancellationToken">Stops the recheck; the bitfield keeps the pieces already reported.</param>
    /// <returns>One event per piece, in piece order.</returns>
    public IAsyncEnumerable<PieceVerified> RecheckAsync(TorrentLayout layout, string directory, PieceBitfield bitfield, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckBitfield(layout, bitfield);
        if (layout.TotalLength > 0 && layout.Files.Count == 0)
        {
            throw new ArgumentException("The layout lists no files, so it cannot be rechecked from storage.", nameof(layout));
        }

        return RunAsync(layout, ReadOnlyMemory<byte>.Empty, directory, bitfield, cancellationToken);
    }

    /// <summary>Verifies data in memory and returns the resulting bitfield.</summary>
    /// <param name="layout">The torrent.</param>
    /// <param name="data">The concatenation of the torrent's files.</param>
    /// <param name="cancellationToken">Stops the verification.</param>
    /// <returns>The bitfield of valid pieces.</returns>
    public async Task<PieceBitfield> VerifyAllAsync(TorrentLayout layout, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var bitfield = new PieceBitfield(layout.PieceCount);
        await foreach (var _ in VerifyAsync(layout, data, bitfield, cancellationToken).ConfigureAwait(false))
        {
        }

        return bitfield;
    }

    /// <summary>Rechecks the files under a directory and returns the resulting bitfield.</summary>
    /// <param name="layout">The torrent; it must list its files.</param>
    /// <param name="directory">The directory the files' relative paths start from.</param>
    /// <param name="cancellationToken">Stops the recheck.</param>
    /// <returns>The bitfield of valid pieces.</returns>
    public async Task<PieceBitfield> RecheckAllAsync(TorrentLayout layout, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var bitfield = new PieceBitfield(layout.PieceCount);
        await foreach (var _ in RecheckAsync(layout, directory, bitfield, cancellationToken).ConfigureAwait(false))
        {
        }

        return bitfield;
    }

    private static void CheckBitfield(TorrentLayout layout, PieceBitfield bitfield)
    {
        ArgumentNullException.ThrowIfNull(bitfield);
        if (bitfield.Length != layout.PieceCount)
        {
            throw new ArgumentException($"The torrent has {layout.PieceCount} pieces, the bitfield {bitfield.Length}.", nameof(bitfield));
        }
    }

    private async IAsyncEnumerable<PieceVerified> RunAsync(
        TorrentLayout layout,
        ReadOnlyMemory<byte> data,
        string? directory,
        PieceBitfield bitfield,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (layout.PieceCount == 0)
        {
            yield break;
        }

        var piecesPerBatch = (int)Math.Clamp(_options.BatchSize / layout.PieceLength, 1, layout.PieceCount);
        var batchBytes = (long)piecesPerBatch * layout.PieceLength;
        var batchCount = (int)Math.Clamp(_options.MaxBufferMemory / batchBytes, 1, (_options.DegreeOfParallelism * 2) + 1);
        if (directory is null)
        {
            // Nothing is buffered from memory, so only the workers bound the batches in flight.
            batchCount = (_options.DegreeOfParallelism * 2) + 1;
        }

        var batches = new Batch[batchCount];
        var free = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true });
        for (var i = 0; i < batches.Length; i++)
        {
            batches[i] = new Batch(piecesPerBatch, directory is null ? null : ArrayPool<byte>.Shared.Rent((int)batchBytes));
            free.Writer.TryWrite(batches[i]);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pool = new WorkerPool<Batch, Batch>(
            (batch, token) => ValueTask.FromResult(HashBatch(layout, data, batch, token)),
            new WorkerPoolOptions
            {
                DegreeOfParallelism = Math.Min(_options.DegreeOfParallelism, batchCount),
                Capacity = batchCount,
                CompletionOrder = CompletionOrder.Submission,
                DisposeBehavior = DisposeBehavior.CancelPending,
            });
        var producer = Task.Run(() => ProduceAsync(layout, directory, piecesPerBatch, free.Reader, pool, stop.Token), stop.Token);
        try
        {
            while (await pool.WaitToReadResultAsync(stop.Token).ConfigureAwait(false))
            {
                while (pool.TryReadResult(out var result))
                {
                    var batch = result.GetValueOrThrow();
                    RecordMetrics(layout, batch);
                    for (var i = 0; i < batch.PieceCount; i++)
                    {
                        var piece = batch.FirstPiece + i;
                        stop.Token.ThrowIfCancellationRequested();
                        var valid = batch.Valid[i];
                        if (valid)
                        {
                            bitfield.Set(piece);
                        }
                        else
                        {
                            bitfield.Clear(piece);
                        }

                        yield return new PieceVerified(piece, valid);
                    }

                    free.Writer.TryWrite(batch);
                }
            }

            // Surfaces a failure of the reader (anything other than unreadable files).
            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pool.DisposeAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Already surfaced above, or irrelevant once the consumer has stopped.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            // Workers and the reader have stopped, so the buffers can go back.
            foreach (var batch in batches)
            {
                if (batch.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(batch.Buffer);
                }
            }
        }
    }

    private static void RecordMetrics(TorrentLayout layout, Batch batch)
    {
        if (!VerifierMetrics.PiecesValid.Enabled && !VerifierMetrics.BytesChecked.Enabled && !VerifierMetrics.PiecesInvalid.Enabled)
        {
            return;
        }

        long valid = 0;
        long bytes = 0;
        for (var i = 0; i < batch.PieceCount; i++)
        {
            valid += batch.Valid[i] ? 1 : 0;
            bytes += layout.GetPieceSize(batch.FirstPiece + i);
        }

        VerifierMetrics.PiecesValid.Add(valid);
        VerifierMetrics.PiecesInvalid.Add(batch.PieceCount - valid);
        VerifierMetrics.BytesChecked.Add(bytes);
    }

    private static async Task ProduceAsync(
        TorrentLayout layout,
        string? directory,
        int piecesPerBatch,
        ChannelReader<Batch> free,
        WorkerPool<Batch, Batch> pool,
        CancellationToken cancellationToken)
    {
        using var reader = directory is null ? null : new StorageReader(layout, directory);
        try
        {
            for (var first = 0; first < layout.PieceCount; first += piecesPerBatch)
            {
                var batch = await free.ReadAsync(cancellationToken).ConfigureAwait(false);
                var count = Math.Min(piecesPerBatch, layout.PieceCount - first);
                batch.FirstPiece = first;
                batch.PieceCount = count;
                batch.Failed.Clear();
                if (reader is not null)
                {
                    var last = first + count - 1;
                    batch.StorageStart = layout.GetPieceStorageOffset(first);
                    var storageEnd = layout.GetPieceStorageOffset(last) + layout.GetPieceSize(last);
                    reader.Read(batch.StorageStart, batch.Buffer.AsSpan(0, (int)(storageEnd - batch.StorageStart)), batch.Failed);
                }

                await pool.SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            pool.Complete();
        }
    }

    private static Batch HashBatch(TorrentLayout layout, ReadOnlyMemory<byte> data, Batch batch, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.PieceCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var piece = batch.FirstPiece + i;
            var size = layout.GetPieceSize(piece);
            if (batch.Buffer is null)
            {
                batch.Valid[i] = layout.VerifyPieceCore(piece, data.Span.Slice((int)layout.GetPieceDataOffset(piece), size));
                continue;
            }

            var start = layout.GetPieceStorageOffset(piece);
            batch.Valid[i] = !batch.Overlaps(start, start + size)
                && layout.VerifyPieceCore(piece, batch.Buffer.AsSpan((int)(start - batch.StorageStart), size));
        }

        return batch;
    }

    /// <summary>A run of consecutive pieces handed to one worker, with its buffer (storage) and results. Reused.</summary>
    private sealed class Batch(int capacity, byte[]? buffer)
    {
        public byte[]? Buffer { get; } = buffer;

        public bool[] Valid { get; } = new bool[capacity];

        public List<(long Start, long End)> Failed { get; } = [];

        public int FirstPiece { get; set; }

        public int PieceCount { get; set; }

        public long StorageStart { get; set; }

        public bool Overlaps(long start, long end)
        {
            foreach (var (failedStart, failedEnd) in Failed)
            {
                if (failedStart < end && start < failedEnd)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
