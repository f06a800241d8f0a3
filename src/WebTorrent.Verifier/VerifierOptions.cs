namespace WebTorrent.Verifier;

/// <summary>Options of a <see cref="PieceVerifier"/>. Every limit has a safe default.</summary>
public sealed record VerifierOptions
{
    /// <summary>Number of pieces hashed at the same time. Defaults to <see cref="Environment.ProcessorCount"/>.</summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Bytes handed to a worker at once: whole pieces are grouped up to this size (a piece larger than it goes alone),
    /// so scheduling costs nothing per piece. Defaults to 4 MiB.
    /// </summary>
    public int BatchSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Most bytes of read buffers a storage recheck holds at once (readers fill some while workers hash others).
    /// At least one batch is always held. Defaults to 64 MiB.
    /// </summary>
    public long MaxBufferMemory { get; init; } = 64L * 1024 * 1024;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(DegreeOfParallelism, 1, nameof(DegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DegreeOfParallelism, 4096, nameof(DegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferMemory, 1, nameof(MaxBufferMemory));
    }
}
