using System.Buffers.Binary;
using System.Security.Cryptography;

namespace WebRtc.Dtls;

/// <summary>The AEAD of a DTLS 1.2 record layer: AES-GCM (RFC 5288, explicit 8-byte nonce) or ChaCha20-Poly1305 (RFC 7905).</summary>
internal enum RecordAead
{
    AesGcm,
    ChaCha20Poly1305,
}

/// <summary>
/// The key block of one DTLS 1.2 connection (RFC 5246 section 6.3), as the handshake derived it: write keys and
/// implicit IVs for each side. Captured when BouncyCastle creates the record cipher.
/// </summary>
internal sealed record DtlsRecordKeys(RecordAead Aead, bool IsServer, byte[] ClientWriteKey, byte[] ServerWriteKey, byte[] ClientWriteIv, byte[] ServerWriteIv);

/// <summary>
/// Application-data protection of a DTLS 1.2 connection after the handshake, done in place on pooled buffers
/// with .NET's hardware-accelerated AEADs instead of BouncyCastle's record layer (which allocates per record).
/// The handshake, alerts and retransmitted flights stay BouncyCastle's. Our write sequence numbers start far
/// above BouncyCastle's (it only writes a handful of records in the epoch after its Finished), so no explicit
/// nonce is ever used twice under the same key. Received records pass a 64-record replay window (RFC 6347
/// section 4.1.2.6). <see cref="Protect"/> is called under the caller's send lock, <see cref="TryUnprotect"/>
/// under its receive lock: each direction has its own cipher instance.
/// </summary>
internal sealed class DtlsRecordProtection : IDisposable
{
    /// <summary>DTLS record header: type, version, epoch, 48-bit sequence number, length.</summary>
    public const int HeaderLength = 13;

    /// <summary>The AEAD tag length of both ciphers.</summary>
    public const int TagLength = 16;

    /// <summary>The first write sequence number of ours (2^40): BouncyCastle's own records in this epoch stay below.</summary>
    public const long FirstWriteSequence = 1L << 40;

    private const byte ApplicationData = 23;
    private const byte Alert = 21;
    private const long MaxSequence = (1L << 48) - 1;

    private readonly RecordAead _aead;
    private readonly AesGcm? _aesWrite;
    private readonly AesGcm? _aesRead;
    private readonly ChaCha20Poly1305? _chachaWrite;
    private readonly ChaCha20Poly1305? _chachaRead;
    private readonly byte[] _writeIv;
    private readonly byte[] _readIv;
    private readonly ushort _epoch;
    private long _writeSequence = FirstWriteSequence;
    private long _readHighest = -1;
    private ulong _readWindow;

    public DtlsRecordProtection(DtlsRecordKeys keys, ushort epoch)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _aead = keys.Aead;
        _epoch = epoch;
        var writeKey = keys.IsServer ? keys.ServerWriteKey : keys.ClientWriteKey;
        var readKey = keys.IsServer ? keys.ClientWriteKey : keys.ServerWriteKey;
        _writeIv = keys.IsServer ? keys.ServerWriteIv : keys.ClientWriteIv;
        _readIv = keys.IsServer ? keys.ClientWriteIv : keys.ServerWriteIv;
        if (_aead == RecordAead.AesGcm)
        {
            _aesWrite = new AesGcm(writeKey, TagLength);
            _aesRead = new AesGcm(readKey, TagLength);
        }
        else
        {
            _chachaWrite = new ChaCha20Poly1305(writeKey);
            _chachaRead = new ChaCha20Poly1305(readKey);
        }
    }

    /// <summary>Whether .NET can do this AEAD here (OpenSSL with the cipher).</summary>
    public static bool IsSupported(RecordAead aead) => aead == RecordAead.AesGcm ? AesGcm.IsSupported : ChaCha20Poly1305.IsSupported;

    /// <summary>Bytes a record adds around its plaintext.</summary>
    public int Overhead => HeaderLength + TagLength + (_aead == RecordAead.AesGcm ? 8 : 0);

    /// <summary>Records accepted so far (for tests and statistics).</summary>
    public long RecordsRead { get; private set; }

    /// <summary>Writes one application_data record carrying <paramref name="plaintext"/> into <paramref name="record"/>; returns its length.</summary>
    public int Protect(ReadOnlySpan<byte> plaintext, Span<byte> record) => ProtectRecord(ApplicationData, plaintext, record);

    /// <summary>Writes one warning-level close_notify alert record; returns its length.</summary>
    public int ProtectCloseNotify(Span<byte> record)
    {
        ReadOnlySpan<byte> closeNotify = [1, 0];
        return ProtectRecord(Alert, closeNotify, record);
    }

    private int ProtectRecord(byte contentType, ReadOnlySpan<byte> plaintext, Span<byte> record)
    {
        var length = Overhead + plaintext.Length;
        if (record.Length < length) throw new ArgumentException("The record buffer is too small.", nameof(record));
        var sequence = _writeSequence++;
        if (sequence > MaxSequence) throw new CryptographicException("The DTLS write sequence numbers are exhausted.");
        var epochAndSequence = ((ulong)_epoch << 48) | (ulong)sequence;
        record[0] = contentType;
        record[1] = 0xFE;
        record[2] = 0xFD;
        BinaryPrimitives.WriteUInt64BigEndian(record[3..], epochAndSequence);
        BinaryPrimitives.WriteUInt16BigEndian(record[11..], (ushort)(length - HeaderLength));
        Span<byte> aad = stackalloc byte[13];
        WriteAad(aad, epochAndSequence, contentType, plaintext.Length);
        Span<byte> nonce = stackalloc byte[12];
        if (_aead == RecordAead.AesGcm)
        {
            var explicitNonce = record.Slice(HeaderLength, 8);
            BinaryPrimitives.WriteUInt64BigEndian(explicitNonce, epochAndSequence);
            _writeIv.AsSpan(0, 4).CopyTo(nonce);
            explicitNonce.CopyTo(nonce[4..]);
            var body = record.Slice(HeaderLength + 8, plaintext.Length);
            _aesWrite!.Encrypt(nonce, plaintext, body, record.Slice(HeaderLength + 8 + plaintext.Length, TagLength), aad);
        }
        else
        {
            ChaChaNonce(nonce, _writeIv, epochAndSequence);
            var body = record.Slice(HeaderLength, plaintext.Length);
            _chachaWrite!.Encrypt(nonce, plaintext, body, record.Slice(HeaderLength + plaintext.Length, TagLength), aad);
        }
        return length;
    }

    /// <summary>
    /// Authenticates and decrypts one application_data record of our epoch in place. Returns false for a record
    /// that fails authentication or is a replay (drop it silently, RFC 6347 section 4.1.2.7); on success
    /// <paramref name="plaintext"/> is the decrypted range within <paramref name="record"/>.
    /// </summary>
    public bool TryUnprotect(Span<byte> record, out Range plaintext)
    {
        plaintext = default;
        if (record.Length < Overhead || record[0] != ApplicationData) return false;
        var epochAndSequence = BinaryPrimitives.ReadUInt64BigEndian(record[3..]);
        if ((ushort)(epochAndSequence >> 48) != _epoch) return false;
        var sequence = (long)(epochAndSequence & MaxSequence);
        if (IsReplay(sequence)) return false;
        var dataLength = record.Length - Overhead;
        Span<byte> aad = stackalloc byte[13];
        WriteAad(aad, epochAndSequence, ApplicationData, dataLength);
        Span<byte> nonce = stackalloc byte[12];
        int start;
        try
        {
            if (_aead == RecordAead.AesGcm)
            {
                _readIv.AsSpan(0, 4).CopyTo(nonce);
                record.Slice(HeaderLength, 8).CopyTo(nonce[4..]);
                start = HeaderLength + 8;
                var body = record.Slice(start, dataLength);
                _aesRead!.Decrypt(nonce, body, record.Slice(start + dataLength, TagLength), body, aad);
            }
            else
            {
                ChaChaNonce(nonce, _readIv, epochAndSequence);
                start = HeaderLength;
                var body = record.Slice(start, dataLength);
                _chachaRead!.Decrypt(nonce, body, record.Slice(start + dataLength, TagLength), body, aad);
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        MarkReceived(sequence);
        RecordsRead++;
        plaintext = new Range(start, start + dataLength);
        return true;
    }

    public void Dispose()
    {
        _aesWrite?.Dispose();
        _aesRead?.Dispose();
        _chachaWrite?.Dispose();
        _chachaRead?.Dispose();
    }

    private static void WriteAad(Span<byte> aad, ulong epochAndSequence, byte contentType, int plaintextLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, epochAndSequence);
        aad[8] = contentType;
        aad[9] = 0xFE;
        aad[10] = 0xFD;
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plaintextLength);
    }

    // RFC 7905 section 2: the 64-bit record sequence number, left-padded to 12 bytes, XORed with the write IV.
    private static void ChaChaNonce(Span<byte> nonce, byte[] iv, ulong epochAndSequence)
    {
        iv.AsSpan(0, 12).CopyTo(nonce);
        var tail = BinaryPrimitives.ReadUInt64BigEndian(nonce[4..]) ^ epochAndSequence;
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], tail);
    }

    private bool IsReplay(long sequence)
    {
        if (sequence > _readHighest) return false;
        var offset = _readHighest - sequence;
        return offset >= 64 || (_readWindow & (1UL << (int)offset)) != 0;
    }

    private void MarkReceived(long sequence)
    {
        if (sequence > _readHighest)
        {
            var shift = sequence - _readHighest;
            _readWindow = shift >= 64 ? 1UL : (_readWindow << (int)shift) | 1UL;
            _readHighest = sequence;
        }
        else
        {
            _readWindow |= 1UL << (int)(_readHighest - sequence);
        }
    }
}
