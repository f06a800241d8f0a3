namespace MagnetUri;

/// <summary>
/// A forward-only, allocation-free reader over the <c>key=value</c> parameters of a magnet link, for hot paths
/// that need one or two fields (an info-hash, the trackers) without building a <see cref="MagnetLink"/>.
/// Parameters without <c>=</c> and with an empty key are skipped.
/// </summary>
/// <example>
/// <code>
/// var reader = new MagnetLinkReader(link);
/// while (reader.Read())
///     if (reader.Kind == MagnetParameterKind.ExactTopic &amp;&amp; reader.TryGetInfoHash(out var hash)) { ... }
/// </code>
/// </example>
public ref struct MagnetLinkReader
{
    private ReadOnlySpan<char> _remaining;

    /// <summary>Starts reading <paramref name="link"/>.</summary>
    /// <exception cref="MagnetUriFormatException">The text does not start with <c>magnet:?</c> (scheme case-insensitive).</exception>
    public MagnetLinkReader(ReadOnlySpan<char> link)
    {
        if (!TryGetQuery(link, out _remaining))
            throw new MagnetUriFormatException("A magnet link starts with 'magnet:?'.", (string?)null);
    }

    /// <summary>The current parameter's key as written (for example <c>tr.1</c>).</summary>
    public ReadOnlySpan<char> Key { get; private set; }

    /// <summary>The current parameter's value as written, still percent-encoded.</summary>
    public ReadOnlySpan<char> RawValue { get; private set; }

    /// <summary>What the current parameter means.</summary>
    public MagnetParameterKind Kind { get; private set; }

    /// <summary>Whether <paramref name="link"/> has the magnet scheme; if so, starts a reader over it.</summary>
    public static bool TryCreate(ReadOnlySpan<char> link, out MagnetLinkReader reader)
    {
        reader = default;
        if (!TryGetQuery(link, out var query)) return false;
        reader._remaining = query;
        return true;
    }

    /// <summary>Advances to the next parameter; <see langword="false"/> at the end.</summary>
    public bool Read()
    {
        while (!_remaining.IsEmpty)
        {
            var amp = _remaining.IndexOf('&');
            ReadOnlySpan<char> parameter;
            if (amp < 0)
            {
                parameter = _remaining;
                _remaining = default;
            }
            else
            {
                parameter = _remaining[..amp];
                _remaining = _remaining[(amp + 1)..];
            }

            var eq = parameter.IndexOf('=');
            if (eq <= 0) continue;
            Key = parameter[..eq];
            RawValue = parameter[(eq + 1)..];
            Kind = Classify(Key);
            return true;
        }

        Key = default;
        RawValue = default;
        Kind = MagnetParameterKind.Unknown;
        return false;
    }

    /// <summary>
    /// Percent-decodes the current value (UTF-8) into <paramref name="destination"/>; <c>+</c> means space in
    /// <c>dn</c> only. Needs at most <see cref="RawValue"/>.Length chars. <see langword="false"/> when the
    /// destination is too small or the value has a malformed escape.
    /// </summary>
    public readonly bool TryDecodeValue(Span<char> destination, out int charsWritten) =>
        PercentEncoding.TryDecode(RawValue, destination, Kind == MagnetParameterKind.DisplayName, out charsWritten);

    /// <summary>The current value percent-decoded into a new string, or <see langword="null"/> when it is malformed.</summary>
    public readonly string? DecodeValue() => PercentEncoding.Decode(RawValue, Kind == MagnetParameterKind.DisplayName);

    /// <summary>For an <c>xt</c> parameter naming a BitTorrent v1 or v2 info-hash, parses it without allocating.</summary>
    public readonly bool TryGetInfoHash(out InfoHash hash)
    {
        if (Kind != MagnetParameterKind.ExactTopic) { hash = default; return false; }
        if (!RawValue.Contains('%')) return InfoHash.TryParseExactTopic(RawValue, out hash);
        Span<char> decoded = stackalloc char[128];
        if (RawValue.Length > decoded.Length || !TryDecodeValue(decoded, out var written)) { hash = default; return false; }
        return InfoHash.TryParseExactTopic(decoded[..written], out hash);
    }

    internal static MagnetParameterKind Classify(ReadOnlySpan<char> key)
    {
        if (key.Length == 4 && key.SequenceEqual("x.pe")) return MagnetParameterKind.PeerAddress;

        // Numbered keys (xt.1, tr.2) are the same parameter, numbered so a link can list several.
        if (key.Length > 3 && key[2] == '.' && IsDigits(key[3..])) key = key[..2];
        if (key.Length != 2) return MagnetParameterKind.Unknown;
        return (key[0], key[1]) switch
        {
            ('x', 't') => MagnetParameterKind.ExactTopic,
            ('d', 'n') => MagnetParameterKind.DisplayName,
            ('x', 'l') => MagnetParameterKind.ExactLength,
            ('t', 'r') => MagnetParameterKind.Tracker,
            ('w', 's') => MagnetParameterKind.WebSeed,
            ('a', 's') => MagnetParameterKind.AcceptableSource,
            ('x', 's') => MagnetParameterKind.ExactSource,
            ('k', 't') => MagnetParameterKind.Keywords,
            ('s', 'o') => MagnetParameterKind.SelectOnly,
            _ => MagnetParameterKind.Unknown,
        };
    }

    /// <summary>The canonical key of a kind (<c>xt</c>, <c>x.pe</c>...).</summary>
    internal static string KeyOf(MagnetParameterKind kind) => kind switch
    {
        MagnetParameterKind.ExactTopic => "xt",
        MagnetParameterKind.DisplayName => "dn",
        MagnetParameterKind.ExactLength => "xl",
        MagnetParameterKind.Tracker => "tr",
        MagnetParameterKind.WebSeed => "ws",
        MagnetParameterKind.AcceptableSource => "as",
        MagnetParameterKind.ExactSource => "xs",
        MagnetParameterKind.Keywords => "kt",
        MagnetParameterKind.PeerAddress => "x.pe",
        MagnetParameterKind.SelectOnly => "so",
        _ => "?",
    };

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (c is < '0' or > '9') return false;
        return true;
    }

    private static bool TryGetQuery(ReadOnlySpan<char> link, out ReadOnlySpan<char> query)
    {
        link = link.Trim();
        const string Scheme = "magnet:";
        query = default;
        if (!link.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var rest = link[Scheme.Length..];
        if (rest.IsEmpty) return true;
        if (rest[0] != '?') return false;
        query = rest[1..];
        return true;
    }
}
