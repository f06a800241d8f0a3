using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace WebRtc.Dtls;

/// <summary>
/// A certificate fingerprint as carried in <c>a=fingerprint</c> (RFC 8122): a hash function name and the
/// digest of the DER-encoded certificate.
/// </summary>
public sealed class CertificateFingerprint : IEquatable<CertificateFingerprint>
{
    private readonly byte[] _digest;

    /// <summary>Creates a fingerprint from a hash function name (<c>sha-256</c>...) and a digest.</summary>
    public CertificateFingerprint(string algorithm, ReadOnlySpan<byte> digest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(algorithm);
        if (digest.IsEmpty) throw new ArgumentException("The digest is empty.", nameof(digest));
        Algorithm = algorithm.ToLowerInvariant();
        _digest = digest.ToArray();
    }

    /// <summary>The hash function, lower case (<c>sha-256</c>, <c>sha-1</c>, <c>sha-384</c>, <c>sha-512</c>).</summary>
    public string Algorithm { get; }

    /// <summary>The digest bytes.</summary>
    public ReadOnlyMemory<byte> Digest => _digest;

    /// <summary>Computes the fingerprint of a DER-encoded certificate with <paramref name="algorithm"/>.</summary>
    public static CertificateFingerprint Compute(ReadOnlySpan<byte> certificateDer, string algorithm = "sha-256")
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        byte[] digest = algorithm.ToLowerInvariant() switch
        {
            "sha-256" => SHA256.HashData(certificateDer),
            "sha-384" => SHA384.HashData(certificateDer),
            "sha-512" => SHA512.HashData(certificateDer),
#pragma warning disable CA5350 // sha-1 fingerprints are still legal in SDP; only compared, never trusted alone.
            "sha-1" => SHA1.HashData(certificateDer),
#pragma warning restore CA5350
            _ => throw new NotSupportedException($"Fingerprint hash '{algorithm}' is not supported."),
        };
        return new CertificateFingerprint(algorithm, digest);
    }

    /// <summary>Whether <paramref name="certificateDer"/> has this fingerprint (constant time).</summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        var actual = Compute(certificateDer, Algorithm);
        return CryptographicOperations.FixedTimeEquals(actual._digest, _digest);
    }

    /// <summary>Parses <c>sha-256 AB:CD:...</c> (the value of <c>a=fingerprint</c>).</summary>
    /// <exception cref="FormatException">The text is not a fingerprint.</exception>
    public static CertificateFingerprint Parse(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        var space = text.IndexOf(' ');
        if (space <= 0) throw new FormatException("A fingerprint is '<hash> <hex pairs>'.");
        var algorithm = text[..space].ToString();
        var hex = text[(space + 1)..].Trim();
        if (hex.Length < 2 || (hex.Length + 1) % 3 != 0) throw new FormatException("Fingerprint hex must be colon-separated pairs.");
        var digest = new byte[(hex.Length + 1) / 3];
        for (var i = 0; i < digest.Length; i++)
        {
            if (i > 0 && hex[(i * 3) - 1] != ':') throw new FormatException("Fingerprint hex must be colon-separated pairs.");
            if (!byte.TryParse(hex.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out digest[i]))
                throw new FormatException("Fingerprint hex must be colon-separated pairs.");
        }
        return new CertificateFingerprint(algorithm, digest);
    }

    /// <summary>Formats as <c>sha-256 AB:CD:...</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Algorithm.Length + 1 + (_digest.Length * 3));
        sb.Append(Algorithm).Append(' ');
        for (var i = 0; i < _digest.Length; i++)
        {
            if (i > 0) sb.Append(':');
            sb.Append(_digest[i].ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(CertificateFingerprint? other) =>
        other is not null && other.Algorithm == Algorithm && other._digest.AsSpan().SequenceEqual(_digest);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CertificateFingerprint);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.AddBytes(_digest);
        return hash.ToHashCode();
    }
}
