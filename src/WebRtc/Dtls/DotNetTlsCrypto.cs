using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with the AES-GCM record cipher taken from <see cref="AesGcm"/> (OpenSSL, AES-NI):
/// about 6.5x faster than BouncyCastle's managed GCM on DTLS-sized records. The handshake stays BouncyCastle's.
/// </summary>
internal sealed class DotNetTlsCrypto(SecureRandom random) : BcTlsCrypto(random)
{
    /// <summary>
    /// The key block of the last record cipher created (the handshake's pending epoch), for the post-handshake
    /// record layer (<see cref="DtlsRecordProtection"/>); null for a cipher suite it does not handle.
    /// </summary>
    public DtlsRecordKeys? RecordKeys { get; private set; }

    public override TlsCipher CreateCipher(TlsCryptoParameters cryptoParams, int encryptionAlgorithm, int macAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(cryptoParams);
        var cipher = base.CreateCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
        var (aead, keyLength, ivLength) = encryptionAlgorithm switch
        {
            EncryptionAlgorithm.AES_128_GCM => (RecordAead.AesGcm, 16, 4),
            EncryptionAlgorithm.AES_256_GCM => (RecordAead.AesGcm, 32, 4),
            EncryptionAlgorithm.CHACHA20_POLY1305 => (RecordAead.ChaCha20Poly1305, 32, 12),
            _ => (RecordAead.AesGcm, 0, 0),
        };
        RecordKeys = null;
        if (keyLength == 0 || !DtlsRecordProtection.IsSupported(aead)) return cipher;

        // RFC 5246 section 6.3: client_write_key, server_write_key, client_write_IV, server_write_IV (AEAD suites have no MAC keys).
        var block = TlsImplUtilities.CalculateKeyBlock(cryptoParams, (2 * keyLength) + (2 * ivLength));
        RecordKeys = new DtlsRecordKeys(
            aead,
            cryptoParams.IsServer,
            block.AsSpan(0, keyLength).ToArray(),
            block.AsSpan(keyLength, keyLength).ToArray(),
            block.AsSpan(2 * keyLength, ivLength).ToArray(),
            block.AsSpan((2 * keyLength) + ivLength, ivLength).ToArray());
        CryptographicOperations.ZeroMemory(block);
        return cipher;
    }

    protected override TlsAeadCipher CreateCipher_Aes_Gcm(TlsCryptoParameters cryptoParams, int cipherKeySize, int macSize)
    {
        if (!AesGcm.IsSupported || macSize != AesGcmCipherImpl.TagSize) return base.CreateCipher_Aes_Gcm(cryptoParams, cipherKeySize, macSize);
        return new TlsAeadCipher(cryptoParams, new AesGcmCipherImpl(encrypt: true), new AesGcmCipherImpl(encrypt: false), cipherKeySize, macSize, TlsAeadCipher.AEAD_GCM);
    }
}

/// <summary>One direction of an AES-GCM record cipher over <see cref="AesGcm"/>.</summary>
#pragma warning disable CA1001 // BouncyCastle never disposes a cipher; AesGcm's key handle is then released by its finalizer.
internal sealed class AesGcmCipherImpl(bool encrypt) : TlsAeadCipherImpl
#pragma warning restore CA1001
{
    public const int TagSize = 16;
    private AesGcm? _aes;
    private byte[] _nonce = [];
    private byte[] _additionalData = [];

    public void SetKey(byte[] key, int keyOff, int keyLen) => SetKey(key.AsSpan(keyOff, keyLen));

    public void SetKey(ReadOnlySpan<byte> key)
    {
        _aes?.Dispose();
        _aes = new AesGcm(key, TagSize);
    }

    public void Init(byte[] nonce, int macSize, byte[] additionalData)
    {
        if (macSize != TagSize || nonce.Length != 12) throw new TlsFatalAlert(AlertDescription.internal_error);
        _nonce = nonce;
        _additionalData = additionalData ?? [];
    }

    public int GetOutputSize(int inputLength) => encrypt ? inputLength + TagSize : inputLength - TagSize;

    public int DoFinal(byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset) =>
        DoFinal(_additionalData, input, inputOffset, inputLength, output, outputOffset);

    public int DoFinal(byte[] additionalData, byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset)
    {
        var aes = _aes ?? throw new TlsFatalAlert(AlertDescription.internal_error);
        var aad = additionalData ?? [];
        if (encrypt)
        {
            var plaintext = input.AsSpan(inputOffset, inputLength);
            var ciphertext = output.AsSpan(outputOffset, inputLength);
            aes.Encrypt(_nonce, plaintext, ciphertext, output.AsSpan(outputOffset + inputLength, TagSize), aad);
            return inputLength + TagSize;
        }
        if (inputLength < TagSize) throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        var length = inputLength - TagSize;
        try
        {
            aes.Decrypt(_nonce, input.AsSpan(inputOffset, length), input.AsSpan(inputOffset + length, TagSize), output.AsSpan(outputOffset, length), aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac, e);
        }
        return length;
    }

    public void Reset()
    {
    }
}
