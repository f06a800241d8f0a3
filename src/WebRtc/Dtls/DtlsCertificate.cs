using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace WebRtc.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 certificate and its key, as WebRTC uses for DTLS (RFC 8827): the peer trusts it
/// through the <c>a=fingerprint</c> in the SDP, not through a CA. Generate one per connection, or reuse one.
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(X509Certificate certificate, AsymmetricKeyParameter privateKey)
    {
        Certificate = certificate;
        PrivateKey = privateKey;
        DerEncoded = certificate.GetEncoded();
        Fingerprint = CertificateFingerprint.Compute(DerEncoded.Span);
    }

    /// <summary>The DER-encoded certificate.</summary>
    public ReadOnlyMemory<byte> DerEncoded { get; }

    /// <summary>The <c>sha-256</c> fingerprint written in our SDP.</summary>
    public CertificateFingerprint Fingerprint { get; }

    /// <summary>When the certificate stops being valid.</summary>
    public DateTime NotAfter => Certificate.NotAfter;

    internal X509Certificate Certificate { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>Generates a new ECDSA P-256 certificate valid for <paramref name="validity"/> (30 days by default).</summary>
    public static DtlsCertificate Generate(TimeSpan? validity = null, TimeProvider? timeProvider = null)
    {
        var random = new SecureRandom();
        // A named curve (OID), not explicit parameters: browsers reject certificates with explicit curves.
        var generator = new ECKeyPairGenerator("EC");
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var keys = generator.GenerateKeyPair();
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        var builder = new X509V3CertificateGenerator();
        var name = new Org.BouncyCastle.Asn1.X509.X509Name("CN=WebRTC");
        builder.SetSerialNumber(new BigInteger(64, random).Add(BigInteger.One));
        builder.SetIssuerDN(name);
        builder.SetSubjectDN(name);
        builder.SetNotBefore(now.AddDays(-1));
        builder.SetNotAfter(now + (validity ?? TimeSpan.FromDays(30)));
        builder.SetPublicKey(keys.Public);
        var certificate = builder.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keys.Private, random));
        return new DtlsCertificate(certificate, keys.Private);
    }
}
