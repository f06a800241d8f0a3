using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MagnetUri;

/// <summary>Builds a <see cref="MagnetLink"/> from the parameters a <see cref="MagnetLinkReader"/> yields.</summary>
internal static class MagnetLinkParser
{
    private const int StackChars = 256;

    /// <summary>The parsed link, or <see langword="null"/> with <paramref name="error"/> set.</summary>
    public static MagnetLink? Parse(ReadOnlySpan<char> link, MagnetLinkParseOptions options, out MagnetUriFormatException? error)
    {
        error = null;
        if (link.Length > options.MaxLength)
        {
            error = new MagnetUriFormatException($"The link is {link.Length} characters long; the limit is {options.MaxLength}.", (string?)null);
            return null;
        }

        if (!MagnetLinkReader.TryCreate(link, out var reader))
        {
            error = new MagnetUriFormatException("A magnet link starts with 'magnet:?'.", (string?)null);
            return null;
        }

        var hashes = default(ListBuilder<InfoHash>);
        var otherTopics = default(ListBuilder<string>);
        var trackers = default(ListBuilder<string>);
        var webSeeds = default(ListBuilder<string>);
        var acceptableSources = default(ListBuilder<string>);
        var exactSources = default(ListBuilder<string>);
        var keywords = default(ListBuilder<string>);
        var peers = default(ListBuilder<PeerAddress>);
        var selectOnly = default(ListBuilder<FileIndexRange>);
        var extra = default(ListBuilder<KeyValuePair<string, string>>);
        string? displayName = null;
        long? exactLength = null;
        var parameters = 0;

        while (reader.Read())
        {
            if (++parameters > options.MaxParameters)
            {
                error = new MagnetUriFormatException($"The link has more than {options.MaxParameters} parameters.", reader.Key.ToString());
                return null;
            }

            var ok = reader.Kind switch
            {
                MagnetParameterKind.ExactTopic => ReadExactTopic(ref reader, ref hashes, ref otherTopics),
                MagnetParameterKind.DisplayName => ReadDisplayName(ref reader, ref displayName),
                MagnetParameterKind.ExactLength => ReadExactLength(ref reader, ref exactLength),
                MagnetParameterKind.Tracker => AddDistinct(ref reader, ref trackers),
                MagnetParameterKind.WebSeed => AddDistinct(ref reader, ref webSeeds),
                MagnetParameterKind.AcceptableSource => AddDistinct(ref reader, ref acceptableSources),
                MagnetParameterKind.ExactSource => AddDistinct(ref reader, ref exactSources),
                MagnetParameterKind.Keywords => ReadKeywords(ref reader, ref keywords),
                MagnetParameterKind.PeerAddress => ReadPeerAddress(ref reader, ref peers),
                MagnetParameterKind.SelectOnly => ReadSelectOnly(ref reader, ref selectOnly),
                _ => ReadExtra(ref reader, ref extra),
            };

            if (!ok && !options.SkipInvalidParameters)
            {
                var key = reader.Kind == MagnetParameterKind.Unknown ? reader.Key.ToString() : MagnetLinkReader.KeyOf(reader.Kind);
                error = new MagnetUriFormatException(DescribeError(reader.Kind), key);
                return null;
            }
        }

        return new MagnetLink
        {
            InfoHashes = hashes.ToImmutable(),
            OtherExactTopics = otherTopics.ToImmutable(),
            DisplayName = displayName,
            ExactLength = exactLength,
            Trackers = trackers.ToImmutable(),
            WebSeeds = webSeeds.ToImmutable(),
            AcceptableSources = acceptableSources.ToImmutable(),
            ExactSources = exactSources.ToImmutable(),
            Keywords = keywords.ToImmutable(),
            PeerAddresses = peers.ToImmutable(),
            SelectOnly = selectOnly.ToImmutable(),
            Extra = extra.ToImmutable(),
        };
    }

    private static string DescribeError(MagnetParameterKind kind) => kind switch
    {
        MagnetParameterKind.ExactTopic => "Invalid exact topic: expected urn:btih: with 40 hex or 32 base32 characters, urn:btmh:1220 with 64 hex characters, or another non-empty URN, percent-encoded as UTF-8.",
        MagnetParameterKind.ExactLength => "Invalid exact length: expected a non-negative decimal integer.",
        MagnetParameterKind.PeerAddress => "Invalid peer address: expected host:port or [ipv6]:port with port 1-65535.",
        MagnetParameterKind.SelectOnly => "Invalid select-only list: expected comma-separated file indices or ranges a-b with a <= b.",
        MagnetParameterKind.Keywords => "Invalid keywords: malformed percent-encoding.",
        _ => "Malformed percent-encoding (or escapes that are not UTF-8).",
    };

    private static bool ReadExactTopic(ref MagnetLinkReader reader, ref ListBuilder<InfoHash> hashes, ref ListBuilder<string> otherTopics)
    {
        var raw = reader.RawValue;
        if (raw.StartsWith("urn:btih:", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("urn:btmh:", StringComparison.OrdinalIgnoreCase))
        {
            if (!reader.TryGetInfoHash(out var hash)) return false;
            if (!hashes.Contains(hash)) hashes.Add(hash);
            return true;
        }

        var topic = reader.DecodeValue();
        if (string.IsNullOrEmpty(topic)) return false;

        // An escaped btih/btmh prefix still names an info-hash.
        if (topic.StartsWith("urn:btih:", StringComparison.OrdinalIgnoreCase) || topic.StartsWith("urn:btmh:", StringComparison.OrdinalIgnoreCase))
        {
            if (!InfoHash.TryParseExactTopic(topic, out var hash)) return false;
            if (!hashes.Contains(hash)) hashes.Add(hash);
            return true;
        }

        if (!otherTopics.Contains(topic)) otherTopics.Add(topic);
        return true;
    }

    private static bool ReadDisplayName(ref MagnetLinkReader reader, ref string? displayName)
    {
        var value = reader.DecodeValue();
        if (value is null) return false;
        displayName ??= value;
        return true;
    }

    private static bool ReadExactLength(ref MagnetLinkReader reader, ref long? exactLength)
    {
        if (!long.TryParse(reader.RawValue, NumberStyles.None, CultureInfo.InvariantCulture, out var length)) return false;
        exactLength ??= length;
        return true;
    }

    private static bool AddDistinct(ref MagnetLinkReader reader, ref ListBuilder<string> list)
    {
        var value = reader.DecodeValue();
        if (value is null) return false;
        if (!list.Contains(value)) list.Add(value);
        return true;
    }

    private static bool ReadKeywords(ref MagnetLinkReader reader, ref ListBuilder<string> keywords)
    {
        // Split before decoding, so an escaped %2B stays inside a keyword.
        foreach (var range in reader.RawValue.Split('+'))
        {
            var part = reader.RawValue[range];
            if (part.IsEmpty) continue;
            var keyword = PercentEncoding.Decode(part, plusAsSpace: false);
            if (keyword is null) return false;
            if (keyword.Length > 0) keywords.Add(keyword);
        }

        return true;
    }

    private static bool ReadPeerAddress(ref MagnetLinkReader reader, ref ListBuilder<PeerAddress> peers)
    {
        Span<char> buffer = stackalloc char[StackChars];
        var raw = reader.RawValue;
        if (raw.Length > buffer.Length || !reader.TryDecodeValue(buffer, out var written)) return false;
        if (!PeerAddress.TryParse(buffer[..written], out var peer)) return false;
        if (!peers.Contains(peer)) peers.Add(peer);
        return true;
    }

    private static bool ReadSelectOnly(ref MagnetLinkReader reader, ref ListBuilder<FileIndexRange> selectOnly)
    {
        var value = reader.RawValue.Contains('%') ? reader.DecodeValue().AsSpan() : reader.RawValue;
        if (value.IsEmpty) return false;
        foreach (var range in value.Split(','))
        {
            if (!FileIndexRange.TryParse(value[range], out var parsed)) return false;
            selectOnly.Add(parsed);
        }

        return true;
    }

    private static bool ReadExtra(ref MagnetLinkReader reader, ref ListBuilder<KeyValuePair<string, string>> extra)
    {
        var key = PercentEncoding.Decode(reader.Key, plusAsSpace: false);
        var value = reader.DecodeValue();
        if (key is null || value is null) return false;

        // A known key hidden behind escapes (x%2Epe) is refused rather than guessed at.
        if (MagnetLinkReader.Classify(key) != MagnetParameterKind.Unknown) return false;
        extra.Add(new KeyValuePair<string, string>(key, value));
        return true;
    }

    /// <summary>A growable list that allocates nothing while empty and hands its array to an <see cref="ImmutableArray{T}"/> without copying when full.</summary>
    private struct ListBuilder<T>
    {
        private T[]? _items;
        private int _count;

        public void Add(T item)
        {
            // Most lists hold one item (one xt, one dn); the rest grow 1 -> 8 -> 16.
            if (_items is null) _items = new T[1];
            else if (_count == _items.Length) Array.Resize(ref _items, Math.Max(8, _count * 2));
            _items[_count++] = item;
        }

        public readonly bool Contains(T item) =>
            _items is not null && Array.IndexOf(_items, item, 0, _count) >= 0;

        public readonly ImmutableArray<T> ToImmutable()
        {
            if (_items is null) return [];
            if (_count == _items.Length) return ImmutableCollectionsMarshal.AsImmutableArray(_items);
            return ImmutableArray.Create(_items, 0, _count);
        }
    }
}
