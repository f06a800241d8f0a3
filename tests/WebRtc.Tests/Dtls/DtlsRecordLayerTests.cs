using System.Buffers.Binary;
using System.Security.Cryptography;
using CipherSuite = Org.BouncyCastle.Tls.CipherSuite;
using WebRtc.Dtls;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Dtls;

/// <summary>
/// Our post-handshake DTLS record layer (<see cref="DtlsRecordProtection"/>): against BouncyCastle's own record
/// layer on the other end for every WebRTC suite, and alone for replay and tamper handling.
/// </summary>
public class DtlsRecordLayerTests
{
    private static readonly DtlsCertificate CertA = DtlsCertificate.Generate();
    private static readonly DtlsCertificate CertB = DtlsCertificate.Generate();

    public static TheoryData<int, string, bool> Suites => new()
    {
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", true },
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false },
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", true },
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false },
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", true },
        { CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false },
    };

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Our_record_layer_and_bouncycastles_understand_each_other(int suite, string name, bool oursOnClient)
    {
        using var net = new VirtualNetwork(seed: suite);
        var (a, b) = VirtualDatagramTransport.CreatePair(net);
        await using var client = new DtlsTransport(a, DtlsRole.Client, new DtlsTransportOptions
        {
            Certificate = CertA,
            RemoteFingerprint = CertB.Fingerprint,
            CipherSuites = [suite],
            OwnRecordLayer = oursOnClient,
        });
        await using var server = new DtlsTransport(b, DtlsRole.Server, new DtlsTransportOptions
        {
            Certificate = CertB,
            RemoteFingerprint = CertA.Fingerprint,
            CipherSuites = [suite],
            OwnRecordLayer = !oursOnClient,
        });
        await Task.WhenAll(client.HandshakeAsync(), server.HandshakeAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(name, client.CipherSuite);

        // Many records each way, so the server's side (which starts on BouncyCastle's layer until the client's
        // first record arrives) switches to ours midway; every payload must arrive intact.
        for (var i = 0; i < 40; i++)
        {
            await DtlsTransportTests.AssertEchoAsync(client, server, 1 + (i * 29));
            await DtlsTransportTests.AssertEchoAsync(server, client, client.MaxDatagramSize - i);
        }
    }

    [Theory]
    [InlineData(false, 16)]
    [InlineData(false, 32)]
    [InlineData(true, 32)]
    public void Records_round_trip_and_replays_tampering_and_other_epochs_are_dropped(bool chacha, int keyLength)
    {
        var aead = chacha ? RecordAead.ChaCha20Poly1305 : RecordAead.AesGcm;
        var ivLength = aead == RecordAead.AesGcm ? 4 : 12;
        byte[] clientKey = RandomNumberGenerator.GetBytes(keyLength), serverKey = RandomNumberGenerator.GetBytes(keyLength);
        byte[] clientIv = RandomNumberGenerator.GetBytes(ivLength), serverIv = RandomNumberGenerator.GetBytes(ivLength);
        using var client = new DtlsRecordProtection(new DtlsRecordKeys(aead, false, clientKey, serverKey, clientIv, serverIv), 1);
        using var server = new DtlsRecordProtection(new DtlsRecordKeys(aead, true, clientKey, serverKey, clientIv, serverIv), 1);

        var records = new List<byte[]>();
        for (var i = 0; i < 100; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(1 + i * 11);
            var buffer = new byte[payload.Length + client.Overhead];
            Assert.Equal(buffer.Length, client.Protect(payload, buffer));
            Assert.Equal(23, buffer[0]);
            Assert.Equal(0xFEFD, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(1)));
            Assert.Equal((1UL << 48) | (ulong)(DtlsRecordProtection.FirstWriteSequence + i), BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(3)));
            Assert.Equal(buffer.Length - DtlsRecordProtection.HeaderLength, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(11)));
            Assert.False(buffer.AsSpan().IndexOf(payload) >= 0 && payload.Length > 8, "plaintext visible in the record");
            records.Add((byte[])buffer.Clone());
            Assert.True(server.TryUnprotect(buffer, out var range));
            Assert.Equal(payload, buffer[range]);
        }

        // A replay of an accepted record, in or beyond the window, is dropped.
        Assert.False(server.TryUnprotect((byte[])records[99].Clone(), out _));
        Assert.False(server.TryUnprotect((byte[])records[10].Clone(), out _));

        // Out of order inside the window: accepted once.
        var late = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            var buffer = new byte[100 + client.Overhead];
            client.Protect(new byte[100], buffer);
            late.Add(buffer);
        }
        Assert.True(server.TryUnprotect((byte[])late[4].Clone(), out _));
        Assert.True(server.TryUnprotect((byte[])late[1].Clone(), out _));
        Assert.False(server.TryUnprotect((byte[])late[1].Clone(), out _));
        Assert.True(server.TryUnprotect((byte[])late[0].Clone(), out _));

        // Tampered body, header (authenticated as additional data) or epoch: dropped.
        var fresh = new byte[64 + client.Overhead];
        client.Protect(new byte[64], fresh);
        var body = (byte[])fresh.Clone();
        body[^20] ^= 1;
        Assert.False(server.TryUnprotect(body, out _));
        var header = (byte[])fresh.Clone();
        header[10] ^= 1; // sequence number
        Assert.False(server.TryUnprotect(header, out _));
        var epoch = (byte[])fresh.Clone();
        epoch[4] = 2;
        Assert.False(server.TryUnprotect(epoch, out _));
        Assert.True(server.TryUnprotect(fresh, out _));

        // The other direction uses the other key: a record sent by the server decrypts at the client only.
        var back = new byte[10 + server.Overhead];
        server.Protect(new byte[10], back);
        Assert.False(server.TryUnprotect((byte[])back.Clone(), out _));
        Assert.True(client.TryUnprotect(back, out _));
    }
}
