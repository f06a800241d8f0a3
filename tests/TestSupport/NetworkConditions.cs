namespace WebTorrent.TestSupport;

/// <summary>What a virtual link does to the datagrams crossing it.</summary>
/// <param name="LossRate">Probability in [0, 1] that a datagram is dropped.</param>
/// <param name="Delay">Fixed one-way delay.</param>
/// <param name="Jitter">Uniform extra delay in [0, Jitter): datagrams overtake each other when it exceeds their spacing.</param>
/// <param name="DuplicateRate">Probability that a datagram is delivered twice.</param>
/// <param name="ReorderRate">Probability that a datagram is held back by <see cref="ReorderDelay"/> so later ones overtake it.</param>
/// <param name="ReorderDelay">How long a reordered datagram is held back.</param>
/// <param name="Mtu">Datagrams larger than this are dropped, as an IP path without fragmentation would.</param>
public sealed record NetworkConditions(
    double LossRate = 0,
    TimeSpan Delay = default,
    TimeSpan Jitter = default,
    double DuplicateRate = 0,
    double ReorderRate = 0,
    TimeSpan ReorderDelay = default,
    int Mtu = 65507)
{
    /// <summary>A perfect link: no loss, no delay.</summary>
    public static NetworkConditions Perfect { get; } = new();

    /// <summary>A bad but usable link: 10% loss, 20 ms delay with jitter, reordering and duplicates.</summary>
    public static NetworkConditions Hostile { get; } = new(
        LossRate: 0.10, Delay: TimeSpan.FromMilliseconds(20), Jitter: TimeSpan.FromMilliseconds(10),
        DuplicateRate: 0.02, ReorderRate: 0.05, ReorderDelay: TimeSpan.FromMilliseconds(15));
}
