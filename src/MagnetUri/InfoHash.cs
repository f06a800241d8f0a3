using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace MagnetUri;

/// <summary>Which BitTorrent version an <see cref="InfoHash"/> belongs to.</summary>
public enum InfoHashVersion
{
    /// <summary>No hash: the <see langword="default"/> value of <see cref="InfoHash"/>.</summary>
    None = 0,

    /// <summary>BitTorrent v1: SHA-1 of the info dictionary, 20 bytes (<c>urn:btih:</c>).</summary>
    V1 = 1,

    /// <summary>BitTorrent v2 (BEP 52): SHA-256 of the info dictionary, 32 bytes (<c>urn:btmh:1220</c> multihash).</summary>
    V2 = 2,
}

/// <summary>
/// A torrent's info-hash: a v1 SHA-1 (20 bytes) or a v2 SHA-256 (32 bytes). An immutable value type
/// stored inline (no heap allocation), compared by value.
/// </summary>
public readonly struct InfoHash : IEquatable<InfoHash>, ISpanFormattable
{
    /// <summary>Length of a v1 (SHA-1) info-hash in bytes.</summary>
    public const int V1Length = 20;

    /// <summary>Length of a v2 (SHA-256) info-hash in bytes.</summary>
    public const int V2Length = 32;

    private const string BtihPrefix = "urn:btih:";
    private const string BtmhPrefix = "urn:btmh:1220";

    private readonly Bytes32 _bytes;
    private readonly byte _length;

    private InfoHash(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_bytes);
        _length = (byte)bytes.Length;
    }

    /// <summary>V1 or V2; <see cref="InfoHashVersion.None"/> for <see langword="default"/>.</summary>
    public InfoHashVersion Version => _length switch
    {
        V1Length => InfoHashVersion.V1,
        V2Length => InfoHashVersion.V2,
        _ => InfoHashVersion.None,
    };

    /// <summary>Number of bytes: 20 (v1), 32 (v2) or 0 (<see langword="default"/>).</summary>
    public int Length => _length;

    /// <summary>Whether this is the <see langword="default"/> value, which holds no hash.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>Wraps a 20-byte SHA-1 info-hash.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha1"/> is not 20 bytes.</exception>
    public static InfoHash FromV1(ReadOnlySpan<byte> sha1) =>
        sha1.Length == V1Length ? new InfoHash(sha1) : throw new ArgumentException("A v1 info-hash is 20 bytes.", nameof(sha1));

    /// <summary>Wraps a 32-byte SHA-256 info-hash.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not 32 bytes.</exception>
    public static InfoHash FromV2(ReadOnlySpan<byte> sha256) =>
        sha256.Length == V2Length ? new InfoHash(sha256) : throw new ArgumentException("A v2 info-hash is 32 bytes.", nameof(sha256));

    /// <summary>
    /// Parses 40 hex digits or 32 base32 characters (v1), 64 hex digits (v2), or the same inside an
    /// <c>xt</c> value: <c>urn:btih:&lt;hex|base32&gt;</c> or <c>urn:btmh:1220&lt;hex&gt;</c>. Case-insensitive.
    /// </summary>
    /// <exception cref="FormatException"><paramref name="text"/> is none of these.</exception>
    public static InfoHash Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out var hash) ? hash : throw new FormatException("Expected 40 hex or 32 base32 characters (v1), 64 hex characters (v2), or a urn:btih:/urn:btmh:1220 exact topic.");

    /// <summary>Parses like <see cref="Parse"/> without throwing. Allocates nothing.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out InfoHash hash)
    {
        if (text.StartsWith(BtihPrefix, StringComparison.OrdinalIgnoreCase))
        {
            text = text[BtihPrefix.Length..];
            if (text.Length is not (40 or 32)) { hash = default; return false; }
        }
        else if (text.StartsWith(BtmhPrefix, StringComparison.OrdinalIgnoreCase))
        {
            text = text[BtmhPrefix.Length..];
            if (text.Length != 64) { hash = default; return false; }
        }

        Span<byte> bytes = stackalloc byte[V2Length];
        switch (text.Length)
        {
            case 40 when TryDecodeHex(text, bytes[..V1Length]):
                hash = new InfoHash(bytes[..V1Length]);
                return true;
            case 32 when Base32.TryDecode(text, bytes[..V1Length]):
                hash = new InfoHash(bytes[..V1Length]);
                return true;
            case 64 when TryDecodeHex(text, bytes):
                hash = new InfoHash(bytes);
                return true;
            default:
                hash = default;
                return false;
        }
    }

    /// <summary>Parses an <c>xt</c> value that names a BitTorrent info-hash: <c>urn:btih:</c> or <c>urn:btmh:1220</c> only.</summary>
    public static bool TryParseExactTopic(ReadOnlySpan<char> exactTopic, out InfoHash hash)
    {
        if (exactTopic.StartsWith(BtihPrefix, StringComparison.OrdinalIgnoreCase) ||
            exactTopic.StartsWith(BtmhPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return TryParse(exactTopic, out hash);
        }

        hash = default;
        return false;
    }

    /// <summary>Copies the hash bytes to <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Length"/>.</exception>
    public void CopyTo(Span<byte> destination) => Span.CopyTo(destination);

    /// <summary>The hash bytes in a new array.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Lower-case hex (40 or 64 digits).</summary>
    public string ToHex() => Convert.ToHexStringLower(Span);

    /// <summary>RFC 4648 base32 without padding (32 characters for v1), as in <c>urn:btih:</c> base32 links.</summary>
    public string ToBase32() => Base32.Encode(Span);

    /// <summary>The exact topic for a magnet <c>xt</c>: <c>urn:btih:&lt;hex&gt;</c> (v1) or <c>urn:btmh:1220&lt;hex&gt;</c> (v2).</summary>
    /// <exception cref="InvalidOperationException">This is the <see langword="default"/> value.</exception>
    public string ToUrn() => Version switch
    {
        InfoHashVersion.V1 => BtihPrefix + ToHex(),
        InfoHashVersion.V2 => BtmhPrefix + ToHex(),
        _ => throw new InvalidOperationException("An empty InfoHash has no URN."),
    };

    /// <summary>Lower-case hex; empty for the <see langword="default"/> value.</summary>
    public override string ToString() => ToHex();

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToHex();

    /// <summary>Writes lower-case hex into <paramref name="destination"/>.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        var bytes = Span;
        if (destination.Length < bytes.Length * 2) { charsWritten = 0; return false; }
        return Convert.TryToHexStringLower(bytes, destination, out charsWritten);
    }

    /// <inheritdoc/>
    public bool Equals(InfoHash other) => Span.SequenceEqual(other.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);

    [UnscopedRef]
    private ReadOnlySpan<byte> Span => ((ReadOnlySpan<byte>)_bytes)[.._length];

    private static bool TryDecodeHex(ReadOnlySpan<char> hex, Span<byte> destination) =>
        Convert.FromHexString(hex, destination, out _, out var written) == System.Buffers.OperationStatus.Done && written == destination.Length;

    [InlineArray(V2Length)]
    private struct Bytes32
    {
        private byte _first;
    }
}
