using System.Diagnostics;
using WebRtc.Dtls;
using WebRtc.Tests.Support;
using WebRtc.Transport;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Dtls;

/// <summary>
/// The handshake's retransmission schedule when one flight is lost several times in a row: the back-off is capped
/// (<see cref="DtlsTransportOptions.MaxRetransmitTimeout"/>), so a run of losses costs a few capped intervals, not a
/// doubling series that reaches a minute.
/// </summary>
public class DtlsRetransmitTests
{
    private static readonly DtlsCertificate CertA = DtlsCertificate.Generate();
    private static readonly DtlsCertificate CertB = DtlsCertificate.Generate();

    // DTLS 1.2 record header: type(1) version(2) epoch(2) sequence(6) length(2); a handshake message type follows.
    private const byte ChangeCipherSpec = 20, Handshake = 22, ClientKeyExchange = 16, CertificateVerify = 15;

    private static bool IsClientKeyExchange(ReadOnlySpan<byte> d) => d.Length > 13 && d[0] == Handshake && d[3] == 0 && d[4] == 0 && d[13] == ClientKeyExchange;

    private static bool IsCertificateVerify(ReadOnlySpan<byte> d) => d.Length > 13 && d[0] == Handshake && d[3] == 0 && d[4] == 0 && d[13] == CertificateVerify;

    private static bool IsServerFinalFlight(ReadOnlySpan<byte> d) => d.Length > 13 && (d[0] == ChangeCipherSpec || (d[0] == Handshake && (d[3] != 0 || d[4] != 0)));

    [Theory]
    [InlineData("client final flight")]
    [InlineData("server final flight")]
    public async Task A_flight_lost_eight_times_costs_capped_intervals_not_a_doubling_series(string lost)
    {
        // Eight losses in a row of one flight. BouncyCastle alone waits 0.1, 0.2, ... 12.8 s between sends (25.5 s in
        // all) before the ninth; capped at 0.5 s the ninth goes out after about 3.2 s. The handshake timeout sits well
        // between the two, so the test fails if the cap does not work and passes with a wide margin on a loaded machine.
        using var net = new VirtualNetwork();
        var (a, b) = VirtualDatagramTransport.CreatePair(net);
        // The client's final flight carries one ClientKeyExchange; the server's, a ChangeCipherSpec and a Finished.
        var clientSide = new DroppingTransport(a, lost == "client final flight" ? IsClientKeyExchange : null, 8);
        var serverSide = new DroppingTransport(b, lost == "server final flight" ? IsServerFinalFlight : null, 16);
        var options = new DtlsTransportOptions
        {
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(100),
            MaxRetransmitTimeout = TimeSpan.FromMilliseconds(500),
            HandshakeTimeout = TimeSpan.FromSeconds(15),
        };
        await using var client = new DtlsTransport(clientSide, DtlsRole.Client, options with { Certificate = CertA, RemoteFingerprint = CertB.Fingerprint });
        await using var server = new DtlsTransport(serverSide, DtlsRole.Server, options with { Certificate = CertB, RemoteFingerprint = CertA.Fingerprint });
        var clock = Stopwatch.StartNew();
        var s = server.HandshakeAsync();
        var c = client.HandshakeAsync();
        await Task.WhenAll(c, s).WaitAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine($"{lost}: handshake in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(lost == "client final flight" ? 8 : 16, clientSide.Dropped + serverSide.Dropped);

        // The connection works both ways afterwards (the server's records switch to our record layer once the client's arrive).
        for (var i = 0; i < 3; i++)
        {
            await DtlsTransportTests.AssertEchoAsync(client, server, 100 + i);
            await DtlsTransportTests.AssertEchoAsync(server, client, 200 + i);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Server_finishes_when_the_client_certificate_verify_is_lost_or_overtaken_by_its_change_cipher_spec(bool overtaken)
    {
        // The client's final flight is Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished.
        // BouncyCastle's server switched its read epoch on a ChangeCipherSpec that came before the CertificateVerify,
        // then dropped the retransmitted CertificateVerify (epoch 0) forever: the handshake could only time out. Here the
        // first CertificateVerify is lost, or arrives after the ChangeCipherSpec; the handshake must finish with the
        // client's ordinary retransmission, well inside the timeout.
        using var net = new VirtualNetwork();
        var (a, b) = VirtualDatagramTransport.CreatePair(net);
        var clientSide = new DroppingTransport(a, IsCertificateVerify, 1, delayInstead: overtaken);
        var options = new DtlsTransportOptions
        {
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(200),
            HandshakeTimeout = TimeSpan.FromSeconds(20),
        };
        await using var client = new DtlsTransport(clientSide, DtlsRole.Client, options with { Certificate = CertA, RemoteFingerprint = CertB.Fingerprint });
        await using var server = new DtlsTransport(b, DtlsRole.Server, options with { Certificate = CertB, RemoteFingerprint = CertA.Fingerprint });
        var s = server.HandshakeAsync();
        var c = client.HandshakeAsync();
        await Task.WhenAll(c, s).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, clientSide.Dropped);
        await DtlsTransportTests.AssertEchoAsync(client, server, 100);
        await DtlsTransportTests.AssertEchoAsync(server, client, 200);
    }

    /// <summary>
    /// Drops the first <paramref name="count"/> sent datagrams that match <paramref name="drop"/>, or with
    /// <paramref name="delayInstead"/> sends each of them right after the next datagram (it is overtaken).
    /// </summary>
    private sealed class DroppingTransport(IDatagramTransport inner, Func<ReadOnlySpan<byte>, bool>? drop, int count, bool delayInstead = false) : IDatagramTransport
    {
        private int _matched, _dropped;
        private byte[]? _delayed;

        public int Dropped => Volatile.Read(ref _dropped);

        public int MaxDatagramSize => inner.MaxDatagramSize;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            if (drop is not null && drop(datagram.Span) && Interlocked.Increment(ref _matched) <= count)
            {
                Interlocked.Increment(ref _dropped);
                if (delayInstead) _delayed = datagram.ToArray();
                return ValueTask.CompletedTask;
            }
            var sending = inner.SendAsync(datagram, cancellationToken);
            if (Interlocked.Exchange(ref _delayed, null) is { } late) return SendLateAsync(sending, late, cancellationToken);
            return sending;
        }

        private async ValueTask SendLateAsync(ValueTask sending, byte[] late, CancellationToken cancellationToken)
        {
            await sending;
            await inner.SendAsync(late, cancellationToken);
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
