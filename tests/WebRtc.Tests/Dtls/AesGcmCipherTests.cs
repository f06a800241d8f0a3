using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;
using WebRtc.Dtls;

namespace WebRtc.Tests.Dtls;

public class AesGcmCipherTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Matches_bouncycastle_gcm_and_rejects_tampering(int keySize)
    {
        var random = new Random(keySize);
        var key = new byte[keySize];
        var nonce = new byte[12];
        var aad = new byte[13];
        var plaintext = new byte[1163];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(aad);
        random.NextBytes(plaintext);

        var encryptor = new AesGcmCipherImpl(encrypt: true);
        encryptor.SetKey(key, 0, key.Length);
        encryptor.Init(nonce, 16, aad);
        var record = new byte[plaintext.Length + 16];
        plaintext.CopyTo(record, 0);
        Assert.Equal(record.Length, encryptor.DoFinal(record, 0, plaintext.Length, record, 0)); // in place, as BouncyCastle calls it

        var reference = new GcmBlockCipher(new AesEngine());
        reference.Init(true, new AeadParameters(new KeyParameter(key), 128, nonce, aad));
        var expected = new byte[reference.GetOutputSize(plaintext.Length)];
        var n = reference.ProcessBytes(plaintext, 0, plaintext.Length, expected, 0);
        reference.DoFinal(expected, n);
        Assert.Equal(expected, record);

        var decryptor = new AesGcmCipherImpl(encrypt: false);
        decryptor.SetKey(key, 0, key.Length);
        decryptor.Init(nonce, 16, aad);
        var copy = (byte[])record.Clone();
        Assert.Equal(plaintext.Length, decryptor.DoFinal(copy, 0, copy.Length, copy, 0));
        Assert.Equal(plaintext, copy.AsSpan(0, plaintext.Length).ToArray());

        record[100] ^= 1;
        decryptor.Init(nonce, 16, aad);
        var alert = Assert.Throws<TlsFatalAlert>(() => decryptor.DoFinal(record, 0, record.Length, new byte[record.Length], 0));
        Assert.Equal(AlertDescription.bad_record_mac, alert.AlertDescription);
    }
}
