using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace WorkerPool;

/// <summary>
/// A bounded pool of workers that runs one function over submitted items, the .NET counterpart of a web-worker pool.
/// Producers call <see cref="SubmitAsync"/> (which waits while the pool is full), one consumer reads
/// <see cref="ReadResultsAsync"/>, and <see cref="Complete"/> says no more items will come.
/// </summary>
/// <remarks>
/// <para>At most <see cref="WorkerPoolOptions.Capacity"/> items are held at once, counting items queued, running, and
/// finished but not yet read, so a consumer that stops reading stops the producers too. Results must be read for the
/// pool to make progress.</para>
/// <para>An exception thrown by the work is captured in that item's <see cref="WorkResult{TInput, TResult}"/>; the pool
/// and the other items carry on.</para>
/// </remarks>
/// <typeparam name="TInput">The item type.</typeparam>
/// <typeparam name="TResult">The type of value the work returns.</typeparam>
public sealed class WorkerPool<TInput, TResult> : IAsyncDisposable
{
    private const int Open = 0;
    private const int Completed = 1;
    private const int Disposed = 2;

    // Added to the slot count when the pool closes so every waiting producer wakes up and sees the state.
    private const int WakeAllSlots = 1 << 24;

    private readonly Func<TInput, CancellationToken, ValueTask<TResult>> _work;
    private readonly Channel<Envelope> _queue;
    private readonly Channel<WorkResult<TInput, TResult>> _results;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly DisposeBehavior _disposeBehavior;
    private readonly Task[] _workers;
    private readonly Task _completion;

    // Reorder window for CompletionOrder.Submission: an item's sequence number is within Capacity of the next one to emit,
    // because every item from there on still holds a slot.
    private readonly WorkResult<TInput, TResult>[]? _reorder;
    private readonly bool[]? _reorderFilled;
    private readonly Lock _reorderLock = new();
    private long _nextToEmit;

    private long _nextSequence;
    private int _state;

    /// <summary>Creates a pool and starts its workers.</summary>
    /// <param name="work">The function run for each item. It receives the pool's cancellation token, which is cancelled when the pool is disposed with <see cref="DisposeBehavior.CancelPending"/>.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public WorkerPool(Func<TInput, CancellationToken, ValueTask<TResult>> work, WorkerPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        options ??= new WorkerPoolOptions();
        options.Validate();
        _work = work;
        Capacity = options.EffectiveCapacity;
        DegreeOfParallelism = options.DegreeOfParallelism;
        CompletionOrder = options.CompletionOrder;
        _disposeBehavior = options.DisposeBehavior;
        _slots = new SemaphoreSlim(Capacity, int.MaxValue);
        _queue = Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = DegreeOfParallelism == 1 });
        _results = Channel.CreateUnbounded<WorkResult<TInput, TResult>>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
        if (CompletionOrder == CompletionOrder.Submission)
        {
            _reorder = new WorkResult<TInput, TResult>[Capacity];
            _reorderFilled = new bool[Capacity];
        }

        _workers = new Task[DegreeOfParallelism];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(RunWorkerAsync);
        }

        _completion = CompleteResultsWhenWorkersExitAsync();
    }

    /// <summary>Number of workers.</summary>
    public int DegreeOfParallelism { get; }

    /// <summary>Most items held at once (queued, running, or finished and unread).</summary>
    public int Capacity { get; }

    /// <summary>The order results come out in.</summary>
    public CompletionOrder CompletionOrder { get; }

    /// <summary>Completes when every accepted item has finished (or been dropped by disposal) and its result has been queued for reading.</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Queues an item, waiting while the pool already holds <see cref="Capacity"/> items. Completes synchronously
    /// (without allocating) when there is room.
    /// </summary>
    /// <param name="input">The item.</param>
    /// <param name="cancellationToken">Cancels the wait for room; the item is then not queued.</param>
    /// <returns>A task that completes once the item is queued.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was called.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public ValueTask SubmitAsync(TInput input, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var wait = _slots.WaitAsync(cancellationToken);
        if (wait.IsCompletedSuccessfully)
        {
            Enqueue(input);
            return ValueTask.CompletedTask;
        }

        return SubmitAfterWaitAsync(wait, input);
    }

    /// <summary>Queues an item if the pool has room right now.</summary>
    /// <param name="input">The item.</param>
    /// <returns>True if the item was queued; false if the pool is full.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was called.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public bool TrySubmit(TInput input)
    {
        ThrowIfClosed();
        if (!_slots.Wait(0))
        {
            return false;
        }

        Enqueue(input);
        return true;
    }

    /// <summary>Says that no more items will be submitted. Items already queued still run; the results end after the last one.</summary>
    public void Complete()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Open) == Open)
        {
            _queue.Writer.TryComplete();
            _slots.Release(WakeAllSlots);
        }
    }

    /// <summary>Reads results until the pool is completed and drained. Reading a result frees its slot for the producers.</summary>
    /// <param name="cancellationToken">Stops the enumeration (the pool keeps running).</param>
    /// <returns>The results, in submission order or as completed according to <see cref="CompletionOrder"/>.</returns>
    public async IAsyncEnumerable<WorkResult<TInput, TResult>> ReadResultsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadResultAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryReadResult(out var result))
            {
                yield return result;
            }
        }
    }

    /// <summary>Takes one finished result if there is one. Frees its slot for the producers.</summary>
    /// <param name="result">The result.</param>
    /// <returns>True if a result was available.</returns>
    public bool TryReadResult(out WorkResult<TInput, TResult> result)
    {
        if (!_results.Reader.TryRead(out result))
        {
            return false;
        }

        _slots.Release();
        return true;
    }

    /// <summary>Waits until a result is available or the pool has finished.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when a result can be read; false when the pool has finished and every result was read.</returns>
    public ValueTask<bool> WaitToReadResultAsync(CancellationToken cancellationToken = default) =>
        _results.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>
    /// Stops the pool. With <see cref="DisposeBehavior.CancelPending"/> running items see their token cancelled and queued
    /// items are dropped; with <see cref="DisposeBehavior.Drain"/> every accepted item finishes first. Waiting producers
    /// get an <see cref="ObjectDisposedException"/>. Results not yet read stay readable.
    /// </summary>
    /// <returns>A task that completes when every worker has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        var previous = Interlocked.Exchange(ref _state, Disposed);
        if (previous == Disposed)
        {
            await _completion.ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        if (previous == Open)
        {
            _slots.Release(WakeAllSlots);
        }

        if (_disposeBehavior == DisposeBehavior.CancelPending)
        {
            await _cancellation.CancelAsync().ConfigureAwait(false);
        }

        await _completion.ConfigureAwait(false);
        _cancellation.Dispose();
    }

    private async ValueTask SubmitAfterWaitAsync(Task wait, TInput input)
    {
        await wait.ConfigureAwait(false);
        Enqueue(input);
    }

    private void Enqueue(TInput input)
    {
        // The slot was taken; if the pool closed meanwhile, the wake-up release made slots meaningless, so just refuse.
        ThrowIfClosed();
        var sequence = Interlocked.Increment(ref _nextSequence) - 1;
        if (!_queue.Writer.TryWrite(new Envelope(sequence, input)))
        {
            ThrowIfClosed();
            throw new InvalidOperationException("The pool no longer accepts items.");
        }
    }

    private void ThrowIfClosed()
    {
        var state = Volatile.Read(ref _state);
        ObjectDisposedException.ThrowIf(state == Disposed, this);
        if (state == Completed)
        {
            throw new InvalidOperationException("Complete() was called: the pool no longer accepts items.");
        }
    }

    private async Task RunWorkerAsync()
    {
        var reader = _queue.Reader;
        var token = _cancellation.Token;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var envelope))
            {
                if (token.IsCancellationRequested)
                {
                    // Dropped on disposal: nobody will read it, and running it would only delay the shutdown.
                    continue;
                }

                WorkResult<TInput, TResult> result;
                try
                {
                    var value = await _work(envelope.Input, token).ConfigureAwait(false);
                    result = new WorkResult<TInput, TResult>(envelope.Sequence, envelope.Input, value, null);
                }
#pragma warning disable CA1031 // The exception belongs to the item's consumer, not to the worker.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    result = new WorkResult<TInput, TResult>(envelope.Sequence, envelope.Input, default, exception);
                }

                Publish(result);
            }
        }
    }

    private void Publish(in WorkResult<TInput, TResult> result)
    {
        if (_reorder is null)
        {
            _results.Writer.TryWrite(result);
            return;
        }

        lock (_reorderLock)
        {
            var capacity = _reorder.Length;
            var slot = (int)(result.Sequence % capacity);
            _reorder[slot] = result;
            _reorderFilled![slot] = true;
            while (true)
            {
                var next = (int)(_nextToEmit % capacity);
                if (!_reorderFilled[next])
                {
                    break;
                }

                _results.Writer.TryWrite(_reorder[next]);
                _reorder[next] = default;
                _reorderFilled[next] = false;
                _nextToEmit++;
            }
        }
    }

    private async Task CompleteResultsWhenWorkersExitAsync()
    {
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        finally
        {
            _results.Writer.TryComplete();
        }
    }

    private readonly record struct Envelope(long Sequence, TInput Input);
}
