using System.Collections.Concurrent;
using System.Net;
using WebRtc.Ice;
using WebRtc.Ice.Turn;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Support;

/// <summary>
/// A minimal TURN server on the virtual network, for client tests: long-term credentials (401 with realm and nonce,
/// 438 once the nonce is rotated), and success answers to Allocate, Refresh, CreatePermission and ChannelBind. It
/// records what it was asked; it relays nothing, but can play a peer's Data indication.
/// </summary>
internal sealed class FakeTurnServer : IDisposable
{
    public const string Username = "user";
    public const string Password = "secret";
    public const string Realm = "fake.test";

    private readonly VirtualUdpSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _key = LongTermCredentials.ComputeKey(Username, Realm, Password);
    private readonly HashSet<StunTransactionId> _seen = [];
    private IPEndPoint? _client;
    private int _nonceGeneration;

    public FakeTurnServer(VirtualNetwork network, string address = "10.9.0.1")
    {
        _socket = network.Bind(new IPEndPoint(IPAddress.Parse(address), 3478));
        RelayedEndPoint = new IPEndPoint(IPAddress.Parse(address), 50000);
        _ = ServeAsync();
    }

    public IPEndPoint EndPoint => _socket.LocalEndPoint;

    public IPEndPoint RelayedEndPoint { get; }

    public TurnServer Server => new(EndPoint, Username, Password);

    /// <summary>The lifetime granted (the requested one, capped).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public string Nonce => "nonce-" + _nonceGeneration;

    /// <summary>Every request, first transmissions only: (method, signed, nonce, lifetime asked, peer).</summary>
    public ConcurrentQueue<(StunMethod Method, bool Signed, string? Nonce, TimeSpan? Lifetime, IPEndPoint? Peer)> Requests { get; } = new();

    /// <summary>The payloads of Send indications and ChannelData frames: (channel or null, peer or null, data).</summary>
    public ConcurrentQueue<(ushort? Channel, IPEndPoint? Peer, byte[] Data)> Relayed { get; } = new();

    public int Count(StunMethod method) => Requests.Count(r => r.Method == method);

    /// <summary>Makes the current nonce stale: the next signed request gets 438.</summary>
    public void RotateNonce() => Interlocked.Increment(ref _nonceGeneration);

    /// <summary>Plays a Data indication from <paramref name="peer"/>.</summary>
    public void SendDataIndication(IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        var buffer = new byte[256 + data.Length];
        var w = new StunMessageWriter(buffer, StunClass.Indication, StunMethod.Data, StunTransactionId.NewRandom());
        w.AddXorPeerAddress(peer);
        w.AddData(data);
        _socket.Send(w.Written, _client!);
    }

    /// <summary>Plays ChannelData from the peer bound to <paramref name="channel"/>.</summary>
    public void SendChannelData(ushort channel, ReadOnlySpan<byte> data)
    {
        var buffer = new byte[ChannelData.GetFramedLength(data.Length)];
        ChannelData.Write(channel, data, buffer);
        _socket.Send(buffer, _client!);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ReceivedDatagram d;
            try
            {
                d = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ObjectDisposedException)
            {
                return;
            }
            _client = d.From;
            if (ChannelData.TryRead(d.Payload, out var channel, out var range))
            {
                Relayed.Enqueue((channel, null, d.Payload[range]));
                continue;
            }
            if (!StunMessage.TryParse(d.Payload, out var m)) continue;
            var attributes = TurnAttributes.Read(d.Payload);
            if (m!.Class == StunClass.Indication)
            {
                if (m.Method == StunMethod.Send) Relayed.Enqueue((null, attributes.XorPeerAddress, d.Payload[attributes.Data!.Value]));
                continue;
            }
            if (m.Class != StunClass.Request) continue;
            if (_seen.Add(m.TransactionId)) Requests.Enqueue((m.Method, m.HasMessageIntegrity, attributes.Nonce, attributes.Lifetime, attributes.XorPeerAddress));
            Answer(d.From, d.Payload, m, attributes);
        }
    }

    private void Answer(IPEndPoint to, byte[] request, StunMessage m, TurnAttributes attributes)
    {
        var buffer = new byte[512];
        if (!m.HasMessageIntegrity || !m.VerifyMessageIntegrity(request, _key) || m.Username != Username)
        {
            var w401 = new StunMessageWriter(buffer, StunClass.ErrorResponse, m.Method, m.TransactionId);
            w401.AddErrorCode(401, "Unauthorized");
            w401.AddRealm(Realm);
            w401.AddNonce(Nonce);
            _socket.Send(w401.Written, to);
            return;
        }
        if (attributes.Nonce != Nonce)
        {
            var w438 = new StunMessageWriter(buffer, StunClass.ErrorResponse, m.Method, m.TransactionId);
            w438.AddErrorCode(438, "Stale Nonce");
            w438.AddRealm(Realm);
            w438.AddNonce(Nonce);
            _socket.Send(w438.Written, to);
            return;
        }
        var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, m.Method, m.TransactionId);
        if (m.Method == StunMethod.Allocate)
        {
            w.AddXorRelayedAddress(RelayedEndPoint);
            w.AddXorMappedAddress(to);
        }
        if (m.Method is StunMethod.Allocate or StunMethod.Refresh)
            w.AddLifetime(attributes.Lifetime is { } asked && asked < MaxLifetime ? asked : MaxLifetime);
        w.AddMessageIntegrity(_key);
        w.AddFingerprint();
        _socket.Send(w.Written, to);
    }
}
