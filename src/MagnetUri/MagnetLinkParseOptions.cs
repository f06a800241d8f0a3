namespace MagnetUri;

/// <summary>Limits and leniency for <see cref="MagnetLink.Parse(ReadOnlySpan{char}, MagnetLinkParseOptions?)"/>.</summary>
public sealed class MagnetLinkParseOptions
{
    /// <summary>The defaults: strict, at most 64 Ki characters and 1024 parameters.</summary>
    public static MagnetLinkParseOptions Default { get; } = new();

    /// <summary>
    /// Longest accepted link, in characters (default 65 536). Longer input is rejected before any parsing,
    /// so an attacker cannot make the parser allocate in proportion to an unbounded string.
    /// </summary>
    public int MaxLength
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxLength must be positive.");
    } = 64 * 1024;

    /// <summary>Most <c>key=value</c> parameters accepted in one link (default 1024); it also bounds every list (trackers, web seeds...).</summary>
    public int MaxParameters
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxParameters must be positive.");
    } = 1024;

    /// <summary>
    /// When <see langword="true"/>, a malformed parameter (bad info-hash, bad percent-encoding, bad <c>xl</c>,
    /// <c>so</c> or <c>x.pe</c>) is dropped instead of failing the whole link, as npm <c>magnet-uri</c> does.
    /// The scheme and the limits are still enforced. Default <see langword="false"/>.
    /// </summary>
    public bool SkipInvalidParameters { get; init; }
}
