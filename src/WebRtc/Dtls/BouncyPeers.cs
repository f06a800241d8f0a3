using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace WebRtc.Dtls;

/// <summary>What both BouncyCastle peers share: DTLS 1.2 only, WebRTC's ECDHE_ECDSA AEAD suites, EMS, timeouts, certificate check.</summary>
internal interface IDtlsPeerConfig
{
    DtlsCertificate Certificate { get; }

    int HandshakeTimeoutMillis { get; }

    int HandshakeResendMillis { get; }

    int[] CipherSuites { get; }

    /// <summary>Called with the peer's end-entity certificate (DER); throws to fail closed.</summary>
    void OnRemoteCertificate(byte[] der);

    /// <summary>Called when the handshake completes, with the negotiated cipher suite.</summary>
    void OnHandshakeComplete(int cipherSuite);

    /// <summary>Called for every alert the peer sent (close_notify ends the session; a fatal one explains a failure).</summary>
    void OnAlertReceived(short alertLevel, short alertDescription);

    /// <summary>Called for every alert we raised, so a failure can say why.</summary>
    void OnAlertRaised(short alertLevel, short alertDescription, string? message);
}

internal static class DtlsSuites
{
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    public static TlsCredentialedSigner Signer(TlsContext context, BcTlsCrypto crypto, DtlsCertificate certificate)
    {
        var tlsCertificate = new BcTlsCertificate(crypto, certificate.DerEncoded.ToArray());
        var chain = new Certificate([tlsCertificate]);
        SignatureAndHashAlgorithm algorithm = new(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, certificate.PrivateKey, chain, algorithm);
    }

    public static void CheckRemote(Certificate? chain, IDtlsPeerConfig config)
    {
        if (chain is null || chain.IsEmpty) throw new TlsFatalAlert(AlertDescription.certificate_required);
        byte[] der;
        try
        {
            der = chain.GetCertificateAt(0).GetEncoded();
        }
        catch (IOException e)
        {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, e);
        }
        config.OnRemoteCertificate(der);
    }
}

internal sealed class WebRtcDtlsClient(BcTlsCrypto crypto, IDtlsPeerConfig config) : DefaultTlsClient(crypto)
{
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => config.CipherSuites;

    public override bool RequiresExtendedMasterSecret() => true;

    public override int GetHandshakeTimeoutMillis() => config.HandshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => config.HandshakeResendMillis;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        config.OnHandshakeComplete(m_context.SecurityParameters.CipherSuite);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        config.OnAlertReceived(alertLevel, alertDescription);
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        config.OnAlertRaised(alertLevel, alertDescription, message ?? cause?.Message);

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    private sealed class Authentication(WebRtcDtlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            DtlsSuites.CheckRemote(serverCertificate?.Certificate, client.Config);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            DtlsSuites.Signer(client.ClientContext, client.BcCrypto, client.Config.Certificate);
    }

    private IDtlsPeerConfig Config => config;

    private TlsClientContext ClientContext => m_context;

    private BcTlsCrypto BcCrypto => crypto;
}

internal sealed class WebRtcDtlsServer(BcTlsCrypto crypto, IDtlsPeerConfig config) : DefaultTlsServer(crypto)
{
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => config.CipherSuites;

    public override bool RequiresExtendedMasterSecret() => true;

    public override int GetHandshakeTimeoutMillis() => config.HandshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => config.HandshakeResendMillis;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        config.OnHandshakeComplete(m_context.SecurityParameters.CipherSuite);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        config.OnAlertReceived(alertLevel, alertDescription);
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        config.OnAlertRaised(alertLevel, alertDescription, message ?? cause?.Message);

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => DtlsSuites.Signer(m_context, crypto, config.Certificate);

    // Without a CertificateRequest the browser sends no certificate, and its fingerprint could not be checked.
    public override CertificateRequest GetCertificateRequest()
    {
        var algorithms = new List<SignatureAndHashAlgorithm>
        {
            new(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
            new(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
            new(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
            SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
        };
        return new CertificateRequest([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate) => DtlsSuites.CheckRemote(clientCertificate, config);
}

internal static class DtlsCrypto
{
    public static DotNetTlsCrypto Create() => new(new SecureRandom());
}
