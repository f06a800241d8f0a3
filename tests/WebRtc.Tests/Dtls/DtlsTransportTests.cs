using System.Net;
using WebRtc.Dtls;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Dtls;

public class DtlsTransportTests
{
    private static readonly DtlsCertificate CertA = DtlsCertificate.Generate();
    private static readonly DtlsCertificate CertB = DtlsCertificate.Generate();

    private static async Task<(DtlsTransport Client, DtlsTransport Server)> HandshakeAsync(VirtualNetwork net,
        CertificateFingerprint? clientExpects = null, CertificateFingerprint? serverExpects = null, bool deferServer = false)
    {
        var (a, b) = VirtualDatagramTransport.CreatePair(net);
        var client = new DtlsTransport(a, DtlsRole.Client, new DtlsTransportOptions
        {
            Certificate = CertA,
            RemoteFingerprint = clientExpects ?? CertB.Fingerprint,
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(200),
            HandshakeTimeout = TimeSpan.FromSeconds(50),
        });
        var server = new DtlsTransport(b, DtlsRole.Server, new DtlsTransportOptions
        {
            Certificate = CertB,
            RemoteFingerprint = deferServer ? null : serverExpects ?? CertA.Fingerprint,
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(200),
            HandshakeTimeout = TimeSpan.FromSeconds(50),
        });
        var s = server.HandshakeAsync();
        var c = client.HandshakeAsync();
        if (deferServer)
        {
            await Task.Delay(300);
            server.SetRemoteFingerprint(serverExpects ?? CertA.Fingerprint);
        }
        await Task.WhenAll(c, s).WaitAsync(TimeSpan.FromSeconds(90));
        return (client, server);
    }

    [Fact]
    public async Task Handshake_completes_and_data_flows_both_ways()
    {
        using var net = new VirtualNetwork();
        var (client, server) = await HandshakeAsync(net);
        await using var _ = client;
        await using var __ = server;
        Assert.Equal(DtlsState.Connected, client.State);
        Assert.Equal(CertB.Fingerprint, client.RemoteCertificateFingerprint);
        Assert.Equal(CertA.Fingerprint, server.RemoteCertificateFingerprint);
        Assert.InRange(client.MaxDatagramSize, 1100, 1200);
        await AssertEchoAsync(client, server, 1000);
        await AssertEchoAsync(server, client, client.MaxDatagramSize);
    }

    [Fact]
    public async Task Handshake_completes_over_loss_reordering_and_duplicates()
    {
        using var net = new VirtualNetwork(seed: 99) { DefaultConditions = NetworkConditions.Hostile with { LossRate = 0.05 } };
        var (client, server) = await HandshakeAsync(net);
        await using var _ = client;
        await using var __ = server;
        Assert.Equal(DtlsState.Connected, server.State);
        Assert.True(net.Dropped > 0);
    }

    [Fact]
    public async Task Wrong_fingerprint_fails_closed_on_the_client()
    {
        using var net = new VirtualNetwork();
        var wrong = DtlsCertificate.Generate().Fingerprint;
        var e = await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(net, clientExpects: wrong));
        Assert.True(e is DtlsException or TimeoutException, e.ToString());
    }

    [Fact]
    public async Task Wrong_fingerprint_fails_closed_on_the_server()
    {
        using var net = new VirtualNetwork();
        var (a, b) = VirtualDatagramTransport.CreatePair(net);
        await using var client = new DtlsTransport(a, DtlsRole.Client, new DtlsTransportOptions { Certificate = CertA, RemoteFingerprint = CertB.Fingerprint, HandshakeTimeout = TimeSpan.FromSeconds(10) });
        await using var server = new DtlsTransport(b, DtlsRole.Server, new DtlsTransportOptions { Certificate = CertB, RemoteFingerprint = DtlsCertificate.Generate().Fingerprint, HandshakeTimeout = TimeSpan.FromSeconds(10) });
        var s = server.HandshakeAsync();
        var c = client.HandshakeAsync();
        await Assert.ThrowsAsync<DtlsException>(() => s);
        Assert.Equal(DtlsState.Failed, server.State);
        await Assert.ThrowsAnyAsync<Exception>(() => c);
    }

    [Fact]
    public async Task Fingerprint_can_arrive_after_the_handshake()
    {
        using var net = new VirtualNetwork();
        var (client, server) = await HandshakeAsync(net, deferServer: true);
        await using var _ = client;
        await using var __ = server;
        Assert.Equal(DtlsState.Connected, server.State);
        await AssertEchoAsync(client, server, 10);
    }

    [Fact]
    public async Task Late_wrong_fingerprint_fails_the_transport()
    {
        using var net = new VirtualNetwork();
        var wrong = DtlsCertificate.Generate().Fingerprint;
        await Assert.ThrowsAsync<DtlsException>(() => HandshakeAsync(net, serverExpects: wrong, deferServer: true));
    }

    [Fact]
    public async Task Handshake_times_out_when_nobody_answers()
    {
        using var net = new VirtualNetwork();
        var (a, _) = VirtualDatagramTransport.CreatePair(net);
        await using var client = new DtlsTransport(a, DtlsRole.Client, new DtlsTransportOptions { Certificate = CertA, RemoteFingerprint = CertB.Fingerprint, HandshakeTimeout = TimeSpan.FromSeconds(1) });
        await Assert.ThrowsAsync<DtlsException>(() => client.HandshakeAsync());
        Assert.Equal(DtlsState.Failed, client.State);
    }

    [Fact]
    public async Task Close_notify_ends_the_peer_receive_loop()
    {
        using var net = new VirtualNetwork();
        var (client, server) = await HandshakeAsync(net);
        await client.DisposeAsync();
        var n = await server.ReceiveAsync(new byte[2048]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, n);
        await server.DisposeAsync();
    }

    [Fact]
    public void Fingerprint_parse_format_round_trip()
    {
        var f = CertA.Fingerprint;
        Assert.Equal(f, CertificateFingerprint.Parse(f.ToString()));
        Assert.True(f.Matches(CertA.DerEncoded.Span));
        Assert.False(f.Matches(CertB.DerEncoded.Span));
        Assert.Throws<FormatException>(() => CertificateFingerprint.Parse("sha-256 ZZ:00"));
    }

    /// <summary>Sends <paramref name="size"/> random bytes one way and checks they arrive whole (shared by the DTLS tests).</summary>
    internal static async Task AssertEchoAsync(DtlsTransport from, DtlsTransport to, int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        await from.SendAsync(payload);
        var buffer = new byte[4096];
        var n = await to.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(payload, buffer.AsSpan(0, n).ToArray());
    }
}
