namespace WebTorrent.Picking;

/// <summary>Options for <see cref="PiecePicker{TPeer}"/>.</summary>
public sealed class PiecePickerOptions
{
    /// <summary>The request size (BEP 3: 16 KiB, the largest every client accepts). Default 16384.</summary>
    public int BlockSize { get; init; } = 16 * 1024;

    /// <summary>How long a request may stay unanswered before its block is offered to other peers. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>In end game, how many peers may be asked for the same block at once. Default 2.</summary>
    public int EndGameRequestsPerBlock { get; init; } = 2;

    /// <summary>How many bytes after a read position (<see cref="PiecePicker{TPeer}.OpenReadWindow"/>) come first. Default 8 MiB.</summary>
    public long ReadAheadBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Seed of the random tie-break among equally rare pieces; null picks one at random.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>The clock for request timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
