namespace WorkerPool;

/// <summary>Options of a <see cref="WorkerPool{TInput, TResult}"/>. Every limit has a safe default.</summary>
public sealed record WorkerPoolOptions
{
    /// <summary>
    /// Number of workers running items at the same time. Defaults to <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Most items the pool holds at once: queued, running, and finished but not yet read by the consumer.
    /// <see cref="WorkerPool{TInput, TResult}.SubmitAsync"/> waits while the pool is full (backpressure),
    /// so memory stays bounded however fast the producer is. Defaults to four items per worker.
    /// Must be at least <see cref="DegreeOfParallelism"/>.
    /// </summary>
    public int Capacity { get; init; }

    /// <summary>Whether results come out in submission order (<see cref="CompletionOrder.Submission"/>, the default) or as they finish.</summary>
    public CompletionOrder CompletionOrder { get; init; } = CompletionOrder.Submission;

    /// <summary>What <see cref="WorkerPool{TInput, TResult}.DisposeAsync"/> does with items not yet finished. Defaults to <see cref="DisposeBehavior.CancelPending"/>.</summary>
    public DisposeBehavior DisposeBehavior { get; init; } = DisposeBehavior.CancelPending;

    internal int EffectiveCapacity => Capacity > 0 ? Capacity : checked(DegreeOfParallelism * 4);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(DegreeOfParallelism, 1, nameof(DegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DegreeOfParallelism, 4096, nameof(DegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfNegative(Capacity, nameof(Capacity));
        if (Capacity != 0 && Capacity < DegreeOfParallelism)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "Capacity must be at least DegreeOfParallelism.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(EffectiveCapacity, 1 << 20, nameof(Capacity));
        if (!Enum.IsDefined(CompletionOrder))
        {
            throw new ArgumentOutOfRangeException(nameof(CompletionOrder), CompletionOrder, null);
        }

        if (!Enum.IsDefined(DisposeBehavior))
        {
            throw new ArgumentOutOfRangeException(nameof(DisposeBehavior), DisposeBehavior, null);
        }
    }
}

/// <summary>The order in which a pool hands out results.</summary>
public enum CompletionOrder
{
    /// <summary>Results come out in the order their items were submitted; a slow item holds back later ones (bounded by the capacity).</summary>
    Submission,

    /// <summary>Results come out as soon as their items finish.</summary>
    AsCompleted,
}

/// <summary>What disposing a pool does with items that have not finished.</summary>
public enum DisposeBehavior
{
    /// <summary>Cancel the pool's token (running items see it) and drop queued items without running them.</summary>
    CancelPending,

    /// <summary>Stop accepting items, then wait for every queued and running item to finish.</summary>
    Drain,
}
