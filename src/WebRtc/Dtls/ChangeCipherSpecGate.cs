using System.Buffers.Binary;

namespace WebRtc.Dtls;

/// <summary>
/// On a DTLS server during the handshake: holds the client's ChangeCipherSpec, and the records after it, until the
/// client's CertificateVerify has gone up to BouncyCastle.
/// </summary>
/// <remarks>
/// The client's final flight is Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished.
/// BouncyCastle's server switches its read epoch on a ChangeCipherSpec as soon as it has the keys (after
/// ClientKeyExchange), even when the CertificateVerify before it is still missing (lost, or overtaken on the way).
/// It then drops every epoch-0 record, so the retransmitted CertificateVerify never gets in and the handshake can
/// only time out. Handing the ChangeCipherSpec over only after the CertificateVerify keeps the order BouncyCastle
/// needs; a ChangeCipherSpec that would come too early waits here (the client retransmits the whole flight anyway).
/// WebRTC always authenticates the client, so its final flight always has a CertificateVerify.
/// </remarks>
internal sealed class ChangeCipherSpecGate
{
    private const int HeaderLength = 13;
    private const byte ContentTypeChangeCipherSpec = 20;
    private const byte ContentTypeHandshake = 22;
    private const byte CertificateVerify = 15;
    private const int MaxHeld = 16;

    private readonly List<byte[]> _held = [];
    private readonly List<(int Start, int End)> _certificateVerifyFragments = [];
    private bool _certificateVerifySeen;

    /// <summary>Records held back so far (for tests and diagnostics).</summary>
    public int HeldCount { get; private set; }

    /// <summary>Splits <paramref name="datagram"/> into records and passes on those BouncyCastle can take now, in order.</summary>
    public void Process(ReadOnlySpan<byte> datagram, Action<ReadOnlySpan<byte>> deliver)
    {
        if (_certificateVerifySeen && _held.Count == 0)
        {
            deliver(datagram);
            return;
        }
        while (datagram.Length >= HeaderLength)
        {
            var length = HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            if (length > datagram.Length) break; // truncated: dropped, as BouncyCastle would
            var record = datagram[..length];
            datagram = datagram[length..];
            // The ChangeCipherSpec waits, and so do the new epoch's records behind it (the Finished); epoch-0 records
            // (the flight's retransmitted handshake messages) go on.
            if (!_certificateVerifySeen && (record[0] == ContentTypeChangeCipherSpec || (_held.Count > 0 && BinaryPrimitives.ReadUInt16BigEndian(record[3..]) != 0)))
            {
                if (_held.Count == MaxHeld) _held.RemoveAt(0); // the flight is retransmitted whole: the oldest can go
                _held.Add(record.ToArray());
                HeldCount++;

                continue;
            }
            deliver(record);
            if (!_certificateVerifySeen && CompletesCertificateVerify(record))
            {
                _certificateVerifySeen = true;

                foreach (var held in _held) deliver(held);
                _held.Clear();
            }
        }
    }

    // True once the epoch-0 handshake records seen carry every byte of the CertificateVerify (one fragment, as a
    // rule: it is well under any MTU).
    private bool CompletesCertificateVerify(ReadOnlySpan<byte> record)
    {
        if (record.Length < HeaderLength + 12 || record[0] != ContentTypeHandshake || BinaryPrimitives.ReadUInt16BigEndian(record[3..]) != 0) return false;
        var handshake = record[HeaderLength..];
        if (handshake[0] != CertificateVerify) return false;
        var messageLength = ReadUInt24(handshake[1..]);
        var fragmentOffset = ReadUInt24(handshake[6..]);
        var fragmentLength = ReadUInt24(handshake[9..]);
        if (handshake.Length < 12 + fragmentLength || fragmentOffset + fragmentLength > messageLength) return false;
        if (fragmentOffset == 0 && fragmentLength == messageLength) return true;
        if (_certificateVerifyFragments.Count >= MaxHeld) _certificateVerifyFragments.RemoveAt(0);
        _certificateVerifyFragments.Add((fragmentOffset, fragmentOffset + fragmentLength));
        _certificateVerifyFragments.Sort();
        var covered = 0;
        foreach (var (start, end) in _certificateVerifyFragments)
        {
            if (start > covered) return false;
            covered = Math.Max(covered, end);
        }
        return covered >= messageLength;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];
}
