using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Ice;
using WebRtc.Sdp;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests;

public class PeerConnectionTests
{
    [Fact]
    public async Task Two_connections_connect_over_real_loopback_sockets()
    {
        await using var a = new PeerConnection(PeerConnections.Loopback());
        await using var b = new PeerConnection(PeerConnections.Loopback());
        var states = new List<PeerConnectionState>();
        a.ConnectionStateChanged += (_, s) => { lock (states) states.Add(s); };
        await PeerConnections.ExchangeAsync(a, b);
        await Task.WhenAll(a.WaitForConnectedAsync(), b.WaitForConnectedAsync()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(PeerConnectionState.Connected, a.ConnectionState);
        Assert.Equal(PeerConnectionState.Connected, b.ConnectionState);
        Assert.False(a.IsDtlsClient);
        Assert.True(b.IsDtlsClient);
        Assert.Equal([PeerConnectionState.Connecting, PeerConnectionState.Connected], states);
        Assert.Equal(IPAddress.Loopback, a.SelectedCandidatePair!.RemoteEndPoint.Address);
        var offer = a.LocalDescription!.ToString();
        Assert.Contains("a=sctp-port:5000", offer, StringComparison.Ordinal);
        Assert.Contains("a=max-message-size:262144", offer, StringComparison.Ordinal);
        Assert.Contains("a=setup:actpass", offer, StringComparison.Ordinal);
        Assert.Contains("a=setup:active", b.LocalDescription!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connects_over_a_hostile_virtual_network()
    {
        // 5% loss with delay, jitter, reordering and duplicates. This test once timed out at 60 s. The cause found:
        // BouncyCastle's server stalled for good when the client's CertificateVerify was lost or overtaken by its
        // ChangeCipherSpec (fixed by ChangeCipherSpecGate; DtlsRetransmitTests reproduces it). Also bounded since: its
        // retransmission timer doubled up to 60 s. BouncyCastle sends one handshake message per datagram, so a flight and
        // its answer (about 7 datagrams) fail together about 30% of the time; retransmissions are now at most
        // DtlsTransportOptions.MaxRetransmitTimeout (3 s) apart, so k losses in a row of one flight cost at most
        // 1 + 2 + 3(k - 2) s and the 60 s budget needs about 21 in a row (0.3^21).
        using var net = new VirtualNetwork(seed: 3) { DefaultConditions = NetworkConditions.Hostile with { LossRate = 0.05 } };
        PeerConnectionOptions On(string ip) => new()
        {
            DtlsHandshakeTimeout = TimeSpan.FromSeconds(60),
            Ice = new IceAgentOptions { SocketFactory = new VirtualUdpFactory(net), LocalAddresses = [IPAddress.Parse(ip)] },
        };
        await using var a = new PeerConnection(On("10.1.0.1"));
        await using var b = new PeerConnection(On("10.1.0.2"));
        var opened = System.Threading.Channels.Channel.CreateUnbounded<WebRtc.DataChannels.DataChannel>();
        b.DataChannelOpened += (_, c) => opened.Writer.TryWrite(c);
        var channel = a.CreateDataChannel("over-loss");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await PeerConnections.ExchangeAsync(a, b);
        await Task.WhenAll(a.WaitForConnectedAsync(), b.WaitForConnectedAsync()).WaitAsync(TimeSpan.FromSeconds(90));
        Console.WriteLine($"hostile network: connected in {clock.Elapsed.TotalSeconds:F1} s, {net.Dropped} of {net.Sent} datagrams dropped so far");
        Assert.Equal(PeerConnectionState.Connected, a.ConnectionState);
        Assert.Equal(PeerConnectionState.Connected, b.ConnectionState);

        // What a user relies on: a channel opens over the same network and carries messages both ways.
        var wait = TimeSpan.FromSeconds(60);
        await channel.WhenOpen.WaitAsync(wait);
        var remote = await opened.Reader.ReadAsync().AsTask().WaitAsync(wait);
        Assert.Equal("over-loss", remote.Label);
        await channel.SendAsync("ping");
        using (var m = (await remote.ReceiveAsync().AsTask().WaitAsync(wait))!.Value) Assert.Equal("ping", m.Text);
        await remote.SendAsync("pong");
        using (var m = (await channel.ReceiveAsync().AsTask().WaitAsync(wait))!.Value) Assert.Equal("pong", m.Text);
        Assert.True(net.Dropped > 0);
    }

    [Fact]
    public async Task Tampered_fingerprint_in_the_answer_fails_the_connection()
    {
        await using var a = new PeerConnection(PeerConnections.Loopback() with { DtlsHandshakeTimeout = TimeSpan.FromSeconds(10) });
        await using var b = new PeerConnection(PeerConnections.Loopback() with { DtlsHandshakeTimeout = TimeSpan.FromSeconds(10) });
        var offer = await a.CreateOfferAsync();
        await a.SetLocalDescriptionAsync(offer);
        await b.SetRemoteDescriptionAsync(offer);
        var answer = await b.CreateAnswerAsync();
        await b.SetLocalDescriptionAsync(answer);
        var forged = answer with { Fingerprints = [WebRtc.Dtls.DtlsCertificate.Generate().Fingerprint] };
        await a.SetRemoteDescriptionAsync(forged);
        await Assert.ThrowsAsync<PeerConnectionException>(() => a.WaitForConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(PeerConnectionState.Failed, a.ConnectionState);
        Assert.NotEqual(PeerConnectionState.Connected, b.ConnectionState);
    }

    [Fact]
    public async Task Misuse_is_rejected_with_clear_exceptions()
    {
        await using var a = new PeerConnection(PeerConnections.Loopback());
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.CreateAnswerAsync());
        await using var b = new PeerConnection(PeerConnections.Loopback());
        var foreign = await b.CreateOfferAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.SetLocalDescriptionAsync(foreign));
    }

    [Fact]
    public async Task Dispose_closes_and_reports_closed()
    {
        var a = new PeerConnection(PeerConnections.Loopback());
        var b = new PeerConnection(PeerConnections.Loopback());
        await PeerConnections.ExchangeAsync(a, b);
        await Task.WhenAll(a.WaitForConnectedAsync(), b.WaitForConnectedAsync()).WaitAsync(TimeSpan.FromSeconds(30));
        await a.DisposeAsync();
        Assert.Equal(PeerConnectionState.Closed, a.ConnectionState);
        // b sees close_notify and reports the connection over.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (b.ConnectionState != PeerConnectionState.Closed && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(PeerConnectionState.Closed, b.ConnectionState);
        await b.DisposeAsync();
    }

    [Fact]
    public async Task Connects_with_fake_time_for_ice()
    {
        var time = new FakeTimeProvider();
        using var net = new VirtualNetwork(time);
        PeerConnectionOptions On(string ip) => new()
        {
            Ice = new IceAgentOptions { TimeProvider = time, SocketFactory = new VirtualUdpFactory(net), LocalAddresses = [IPAddress.Parse(ip)] },
        };
        await using var a = new PeerConnection(On("10.2.0.1"));
        await using var b = new PeerConnection(On("10.2.0.2"));
        await PeerConnections.ExchangeAsync(a, b);
        await Clock.RunUntilAsync(time, () => a.ConnectionState == PeerConnectionState.Connected && b.ConnectionState == PeerConnectionState.Connected, TimeSpan.FromSeconds(60));
    }
}
