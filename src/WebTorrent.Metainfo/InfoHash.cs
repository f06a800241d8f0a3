using System.Security.Cryptography;

namespace WebTorrent.Metainfo;

/// <summary>
/// A torrent's identity: the SHA-1 (v1, 20 bytes) or SHA-256 (v2, 32 bytes) of its bencoded <c>info</c>
/// dictionary exactly as it appears in the .torrent file. Compared by value.
/// </summary>
public sealed class InfoHash : IEquatable<InfoHash>
{
    /// <summary>Length of a v1 (SHA-1) info-hash.</summary>
    public const int V1Length = 20;

    /// <summary>Length of a v2 (SHA-256) info-hash.</summary>
    public const int V2Length = 32;

    private readonly byte[] _bytes;

    /// <summary>Wraps a copy of <paramref name="bytes"/>, which must be 20 (v1) or 32 (v2) bytes long.</summary>
    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is not (V1Length or V2Length))
            throw new ArgumentException($"An info-hash is {V1Length} (v1) or {V2Length} (v2) bytes, not {bytes.Length}.", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    /// <summary>The hash bytes.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The hash bytes.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <summary>True for a v2 (SHA-256) hash.</summary>
    public bool IsV2 => _bytes.Length == V2Length;

    /// <summary>
    /// The first 20 bytes: the hash itself for v1, the truncated form BEP 52 uses on the wire and with trackers for v2.
    /// </summary>
    public ReadOnlySpan<byte> Truncated => _bytes.AsSpan(0, V1Length);

    /// <summary>The SHA-1 of <paramref name="info"/> (a v1 info-hash).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "BEP 3 defines the v1 info-hash as SHA-1.")]
    public static InfoHash ComputeV1(ReadOnlySpan<byte> info) => new(SHA1.HashData(info));

    /// <summary>The SHA-256 of <paramref name="info"/> (a v2 info-hash).</summary>
    public static InfoHash ComputeV2(ReadOnlySpan<byte> info) => new(SHA256.HashData(info));

    /// <summary>Parses 40 (v1) or 64 (v2) hexadecimal characters, in either case.</summary>
    /// <exception cref="FormatException">Not a hex info-hash.</exception>
    public static InfoHash ParseHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length is not (V1Length * 2 or V2Length * 2))
            throw new FormatException($"An info-hash is 40 or 64 hex characters, not {hex.Length}.");
        return new InfoHash(Convert.FromHexString(hex));
    }

    /// <summary>Lower-case hexadecimal, as trackers, magnet links and parse-torrent show it.</summary>
    public string ToHex() => Convert.ToHexStringLower(_bytes);

    /// <inheritdoc/>
    public override string ToString() => ToHex();

    /// <inheritdoc/>
    public bool Equals(InfoHash? other) => other is not null && other._bytes.AsSpan().SequenceEqual(_bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as InfoHash);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    /// <summary>Equality by value.</summary>
    public static bool operator ==(InfoHash? left, InfoHash? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(InfoHash? left, InfoHash? right) => !(left == right);
}
