using WebRtc.Dtls;

namespace WebRtc.Tests.Dtls;

/// <summary>The server-side gate that keeps the client's ChangeCipherSpec behind its CertificateVerify.</summary>
public class ChangeCipherSpecGateTests
{
    private const byte Handshake = 22, ChangeCipherSpec = 20, Certificate = 11, ClientKeyExchange = 16, CertificateVerify = 15;

    // A DTLS 1.2 record: type, version fefd, epoch, 48-bit sequence, length, then the body.
    private static byte[] Record(byte type, int epoch, long seq, byte[] body)
    {
        var r = new byte[13 + body.Length];
        r[0] = type;
        r[1] = 0xfe;
        r[2] = 0xfd;
        r[3] = (byte)(epoch >> 8);
        r[4] = (byte)epoch;
        for (var i = 0; i < 6; i++) r[5 + i] = (byte)(seq >> (8 * (5 - i)));
        r[11] = (byte)(body.Length >> 8);
        r[12] = (byte)body.Length;
        body.CopyTo(r, 13);
        return r;
    }

    private static byte[] HandshakeRecord(long seq, byte type, int messageSeq, int length, int offset, int fragmentLength)
    {
        var body = new byte[12 + fragmentLength];
        body[0] = type;
        Write24(body, 1, length);
        body[4] = (byte)(messageSeq >> 8);
        body[5] = (byte)messageSeq;
        Write24(body, 6, offset);
        Write24(body, 9, fragmentLength);
        return Record(Handshake, 0, seq, body);
    }

    private static void Write24(byte[] b, int at, int v)
    {
        b[at] = (byte)(v >> 16);
        b[at + 1] = (byte)(v >> 8);
        b[at + 2] = (byte)v;
    }

    private static byte[] Ccs(long seq) => Record(ChangeCipherSpec, 0, seq, [1]);

    private static byte[] Finished(long seq) => Record(Handshake, 1, seq, new byte[40]);

    private static List<byte[]> Run(ChangeCipherSpecGate gate, params byte[][] datagram)
    {
        var delivered = new List<byte[]>();
        gate.Process(datagram.SelectMany(r => r).ToArray(), d => delivered.Add(d.ToArray()));
        return delivered;
    }

    [Fact]
    public void A_flight_in_order_goes_through_record_by_record_unchanged()
    {
        var gate = new ChangeCipherSpecGate();
        byte[][] flight = [HandshakeRecord(1, Certificate, 1, 300, 0, 300), HandshakeRecord(2, ClientKeyExchange, 2, 33, 0, 33),
            HandshakeRecord(3, CertificateVerify, 3, 75, 0, 75), Ccs(4), Finished(0)];
        var delivered = Run(gate, flight);
        Assert.Equal(flight.Length, delivered.Count);
        for (var i = 0; i < flight.Length; i++) Assert.Equal(flight[i], delivered[i]);
        Assert.Equal(0, gate.HeldCount);
        var later = Run(gate, Finished(1));
        Assert.Equal(Finished(1), Assert.Single(later)); // once the CertificateVerify went up, nothing is held
    }

    [Fact]
    public void A_change_cipher_spec_before_the_certificate_verify_waits_for_it_with_the_finished_behind_it()
    {
        var gate = new ChangeCipherSpecGate();
        var first = Run(gate, HandshakeRecord(1, Certificate, 1, 300, 0, 300), HandshakeRecord(2, ClientKeyExchange, 2, 33, 0, 33), Ccs(4), Finished(0));
        Assert.Equal(2, first.Count); // Certificate and ClientKeyExchange only
        Assert.Equal(2, gate.HeldCount);

        // The retransmitted flight: epoch-0 records pass, the CertificateVerify releases what was held, in order.
        var cv = HandshakeRecord(7, CertificateVerify, 3, 75, 0, 75);
        var second = Run(gate, HandshakeRecord(5, Certificate, 1, 300, 0, 300), HandshakeRecord(6, ClientKeyExchange, 2, 33, 0, 33), cv, Ccs(8), Finished(1));
        Assert.Equal(
            [HandshakeRecord(5, Certificate, 1, 300, 0, 300), HandshakeRecord(6, ClientKeyExchange, 2, 33, 0, 33), cv, Ccs(4), Finished(0), Ccs(8), Finished(1)],
            second);
    }

    [Fact]
    public void A_fragmented_certificate_verify_counts_once_every_byte_arrived()
    {
        var gate = new ChangeCipherSpecGate();
        Assert.Single(Run(gate, HandshakeRecord(3, CertificateVerify, 3, 100, 60, 40)));
        Assert.Empty(Run(gate, Ccs(4)));
        Assert.Single(Run(gate, HandshakeRecord(5, CertificateVerify, 3, 100, 0, 30))); // a gap at 30..60 remains
        var last = Run(gate, HandshakeRecord(6, CertificateVerify, 3, 100, 20, 45));
        Assert.Equal(2, last.Count); // the fragment, then the ChangeCipherSpec it released
        Assert.Equal(Ccs(4), last[1]);
    }

    [Fact]
    public void Truncated_records_and_a_bounded_hold()
    {
        var gate = new ChangeCipherSpecGate();
        Assert.Empty(Run(gate, Ccs(1)[..10])); // shorter than a header
        for (var i = 0; i < 40; i++) Assert.Empty(Run(gate, Ccs(10 + i)));
        var released = Run(gate, HandshakeRecord(60, CertificateVerify, 3, 75, 0, 75));
        Assert.Equal(1 + 16, released.Count); // at most 16 records are held; the oldest went
        Assert.Equal(Ccs(10 + 40 - 16), released[1]);
    }
}
