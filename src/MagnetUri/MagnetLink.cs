using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace MagnetUri;

/// <summary>
/// A parsed magnet link: immutable, compared by value (lists in order), built with object initializers or
/// <see langword="with"/> expressions. <see cref="Parse(string)"/> reads everything npm <c>magnet-uri</c> reads;
/// <see cref="ToString"/> writes a canonical link that parses back to an equal <see cref="MagnetLink"/>.
/// </summary>
/// <example>
/// <code>
/// var link = MagnetLink.Parse("magnet:?xt=urn:btih:...&amp;dn=Big+Buck+Bunny&amp;tr=wss%3A%2F%2Ftracker.example");
/// var withPeer = link with { PeerAddresses = [new PeerAddress("127.0.0.1", 6881)] };
/// string uri = withPeer.ToString();
/// </code>
/// </example>
public sealed record MagnetLink
{
    /// <summary>The info-hashes from <c>xt</c> (<c>urn:btih:</c> v1, <c>urn:btmh:1220</c> v2), in link order, without duplicates.</summary>
    /// <exception cref="ArgumentException">On set: an element is <see langword="default"/>.</exception>
    public ImmutableArray<InfoHash> InfoHashes
    {
        get;
        init => field = value.IsDefault ? [] : value.Contains(default) ? throw new ArgumentException("An info-hash is empty.", nameof(value)) : value;
    } = [];

    /// <summary>The other <c>xt</c> exact topics (<c>urn:ed2k:...</c>, <c>urn:tree:tiger:...</c>), kept as written (decoded).</summary>
    public ImmutableArray<string> OtherExactTopics { get; init => field = Checked(value); } = [];

    /// <summary>The display name (<c>dn</c>), or <see langword="null"/>. When several are given the first wins.</summary>
    public string? DisplayName { get; init; }

    /// <summary>The exact length in bytes (<c>xl</c>), or <see langword="null"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">On set: negative.</exception>
    public long? ExactLength
    {
        get;
        init => field = value is < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value, "ExactLength cannot be negative.") : value;
    }

    /// <summary>Tracker URLs (<c>tr</c>), in order, without duplicates.</summary>
    public ImmutableArray<string> Trackers { get; init => field = Checked(value); } = [];

    /// <summary>Web seed URLs (<c>ws</c>, BEP 19).</summary>
    public ImmutableArray<string> WebSeeds { get; init => field = Checked(value); } = [];

    /// <summary>Acceptable sources (<c>as</c>): direct download URLs. npm <c>magnet-uri</c> merges these with <see cref="WebSeeds"/> into <c>urlList</c>.</summary>
    public ImmutableArray<string> AcceptableSources { get; init => field = Checked(value); } = [];

    /// <summary>Exact sources (<c>xs</c>): URLs of the .torrent or of a BEP 46 <c>urn:btpk:</c> public key.</summary>
    public ImmutableArray<string> ExactSources { get; init => field = Checked(value); } = [];

    /// <summary>Keywords (<c>kt</c>, joined by <c>+</c> in the link).</summary>
    /// <exception cref="ArgumentException">On set: a keyword is empty.</exception>
    public ImmutableArray<string> Keywords
    {
        get;
        init => field = Checked(value).Contains(string.Empty) ? throw new ArgumentException("A keyword is empty.", nameof(value)) : Checked(value);
    } = [];

    /// <summary>Peer addresses (<c>x.pe</c>) to connect to directly.</summary>
    public ImmutableArray<PeerAddress> PeerAddresses
    {
        get;
        init => field = value.IsDefault ? [] : value.Any(p => p.Host is null) ? throw new ArgumentException("A peer address is empty.", nameof(value)) : value;
    } = [];

    /// <summary>The BEP 53 <c>so</c> selection: ranges of file indices to download; empty means all files.</summary>
    public ImmutableArray<FileIndexRange> SelectOnly { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>Parameters this library does not interpret (key and decoded value), in link order, repeated keys kept.</summary>
    /// <exception cref="ArgumentException">On set: a key is empty or one this library interprets (<c>tr</c>, <c>xt.1</c>...), or a value is <see langword="null"/>.</exception>
    public ImmutableArray<KeyValuePair<string, string>> Extra
    {
        get;
        init => field = value.IsDefault ? [] : value.Any(p => string.IsNullOrEmpty(p.Key) || p.Value is null || MagnetLinkReader.Classify(p.Key) != MagnetParameterKind.Unknown)
            ? throw new ArgumentException("An extra parameter has an empty or known key, or a null value.", nameof(value))
            : value;
    } = [];

    /// <summary>The first v1 (SHA-1) info-hash, or <see langword="null"/>.</summary>
    public InfoHash? InfoHashV1 => FirstOf(InfoHashVersion.V1);

    /// <summary>The first v2 (SHA-256) info-hash, or <see langword="null"/>.</summary>
    public InfoHash? InfoHashV2 => FirstOf(InfoHashVersion.V2);

    /// <summary>Whether the BEP 53 selection includes file <paramref name="index"/> (always, when <see cref="SelectOnly"/> is empty).</summary>
    public bool IsFileSelected(int index)
    {
        if (SelectOnly.IsEmpty) return true;
        foreach (var range in SelectOnly)
            if (range.Contains(index)) return true;
        return false;
    }

    /// <summary>Parses a magnet link with <see cref="MagnetLinkParseOptions.Default"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="link"/> is <see langword="null"/>.</exception>
    /// <exception cref="MagnetUriFormatException">The link is malformed; <see cref="MagnetUriFormatException.Parameter"/> names the parameter.</exception>
    public static MagnetLink Parse(string link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return Parse(link.AsSpan(), null);
    }

    /// <summary>Parses a magnet link.</summary>
    /// <exception cref="MagnetUriFormatException">The link is malformed or exceeds a limit of <paramref name="options"/>.</exception>
    public static MagnetLink Parse(ReadOnlySpan<char> link, MagnetLinkParseOptions? options = null)
    {
        var result = MagnetLinkParser.Parse(link, options ?? MagnetLinkParseOptions.Default, out var error);
        return result ?? throw error!;
    }

    /// <summary>Parses a magnet link without throwing; <see langword="false"/> for <see langword="null"/> or malformed input.</summary>
    public static bool TryParse([NotNullWhen(true)] string? link, [NotNullWhen(true)] out MagnetLink? result)
    {
        if (link is null) { result = null; return false; }
        return TryParse(link.AsSpan(), null, out result);
    }

    /// <summary>Parses a magnet link without throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> link, MagnetLinkParseOptions? options, [NotNullWhen(true)] out MagnetLink? result)
    {
        result = MagnetLinkParser.Parse(link, options ?? MagnetLinkParseOptions.Default, out _);
        return result is not null;
    }

    /// <summary>
    /// The canonical magnet link: <c>xt</c> (info-hashes as lower-case hex, then other topics), <c>dn</c>, <c>xl</c>,
    /// <c>tr</c>, <c>ws</c>, <c>as</c>, <c>xs</c>, <c>kt</c>, <c>x.pe</c>, <c>so</c>, then the extra parameters.
    /// Values are escaped like <c>encodeURIComponent</c> (a space in <c>dn</c> as <c>+</c>), as npm <c>magnet-uri</c> writes them.
    /// </summary>
    public override string ToString()
    {
        var builder = new StringBuilder(64 + (DisplayName?.Length ?? 0) + (Trackers.Length * 48));
        builder.Append("magnet:?");
        var first = true;
        foreach (var hash in InfoHashes)
        {
            Separator(builder, ref first).Append("xt=").Append(hash.ToUrn());
        }

        foreach (var topic in OtherExactTopics)
        {
            Separator(builder, ref first).Append("xt=");
            PercentEncoding.Encode(builder, topic, keep: ":");
        }

        if (DisplayName is not null)
        {
            Separator(builder, ref first).Append("dn=");
            PercentEncoding.Encode(builder, DisplayName, spaceAsPlus: true);
        }

        if (ExactLength is { } length) Separator(builder, ref first).Append("xl=").Append(length.ToString(CultureInfo.InvariantCulture));
        AppendAll(builder, ref first, "tr", Trackers);
        AppendAll(builder, ref first, "ws", WebSeeds);
        AppendAll(builder, ref first, "as", AcceptableSources);
        foreach (var source in ExactSources)
        {
            Separator(builder, ref first).Append("xs=");

            // BEP 46 public keys stay readable, as magnet-uri writes them.
            PercentEncoding.Encode(builder, source, keep: source.StartsWith("urn:btpk:", StringComparison.Ordinal) ? ":" : "");
        }

        if (!Keywords.IsEmpty)
        {
            Separator(builder, ref first).Append("kt=");
            for (var i = 0; i < Keywords.Length; i++)
            {
                if (i > 0) builder.Append('+');
                PercentEncoding.Encode(builder, Keywords[i]);
            }
        }

        foreach (var peer in PeerAddresses)
        {
            Separator(builder, ref first).Append("x.pe=");
            PercentEncoding.Encode(builder, peer.ToString(), keep: ":[]");
        }

        if (!SelectOnly.IsEmpty)
        {
            Separator(builder, ref first).Append("so=");
            for (var i = 0; i < SelectOnly.Length; i++)
            {
                if (i > 0) builder.Append(',');
                builder.Append(SelectOnly[i].ToString());
            }
        }

        foreach (var (key, value) in Extra)
        {
            Separator(builder, ref first);
            PercentEncoding.Encode(builder, key);
            builder.Append('=');
            PercentEncoding.Encode(builder, value);
        }

        return builder.ToString();
    }

    /// <summary>Value equality: every field equal, lists element by element in order.</summary>
    public bool Equals(MagnetLink? other) =>
        other is not null &&
        (ReferenceEquals(this, other) ||
         (InfoHashes.SequenceEqual(other.InfoHashes) &&
          OtherExactTopics.SequenceEqual(other.OtherExactTopics) &&
          string.Equals(DisplayName, other.DisplayName, StringComparison.Ordinal) &&
          ExactLength == other.ExactLength &&
          Trackers.SequenceEqual(other.Trackers) &&
          WebSeeds.SequenceEqual(other.WebSeeds) &&
          AcceptableSources.SequenceEqual(other.AcceptableSources) &&
          ExactSources.SequenceEqual(other.ExactSources) &&
          Keywords.SequenceEqual(other.Keywords) &&
          PeerAddresses.SequenceEqual(other.PeerAddresses) &&
          SelectOnly.SequenceEqual(other.SelectOnly) &&
          Extra.SequenceEqual(other.Extra)));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var h in InfoHashes) hash.Add(h);
        hash.Add(DisplayName, StringComparer.Ordinal);
        hash.Add(ExactLength);
        hash.Add(Trackers.Length);
        hash.Add(Extra.Length);
        return hash.ToHashCode();
    }

    private InfoHash? FirstOf(InfoHashVersion version)
    {
        foreach (var hash in InfoHashes)
            if (hash.Version == version) return hash;
        return null;
    }

    private static ImmutableArray<string> Checked(ImmutableArray<string> value) =>
        value.IsDefault ? [] : value.Contains(null!) ? throw new ArgumentException("A value is null.", nameof(value)) : value;

    private static StringBuilder Separator(StringBuilder builder, ref bool first)
    {
        if (!first) builder.Append('&');
        first = false;
        return builder;
    }

    private static void AppendAll(StringBuilder builder, ref bool first, string key, ImmutableArray<string> values)
    {
        foreach (var value in values)
        {
            Separator(builder, ref first).Append(key).Append('=');
            PercentEncoding.Encode(builder, value);
        }
    }
}
