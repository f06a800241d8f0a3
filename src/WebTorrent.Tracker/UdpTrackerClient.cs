using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WebTorrent.Tracker;

/// <summary>Options of <see cref="UdpTrackerClient"/>.</summary>
public sealed class UdpTrackerClientOptions
{
    /// <summary>First retransmission timeout; BEP 15 doubles it per attempt (15 s × 2^n). Default 15 seconds.</summary>
    public TimeSpan InitialTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retransmissions after the first attempt before giving up (BEP 15 allows 8). Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>How long a connection id is reused (BEP 15: one minute). Default 1 minute.</summary>
    public TimeSpan ConnectionIdLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Time source for timeouts and connection id expiry.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>
/// UDP tracker client (BEP 15): connect for a connection id (cached for a minute), announce and scrape, each datagram
/// retransmitted with exponential backoff. Requests on one client are serialized.
/// </summary>
public sealed class UdpTrackerClient : ITrackerClient
{
    private const long ProtocolId = 0x41727101980;
    private readonly UdpTrackerClientOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _receive = new byte[4096];
    private Socket? _socket;
    private long _connectionId;
    private long _connectionIdExpires;

    /// <summary>Creates a client for <paramref name="trackerUri"/> (<c>udp://host:port</c>).</summary>
    public UdpTrackerClient(Uri trackerUri, UdpTrackerClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trackerUri);
        if (trackerUri.Scheme != "udp" || trackerUri.Port <= 0) throw new ArgumentException("A UDP tracker URL is udp://host:port.", nameof(trackerUri));
        Uri = trackerUri;
        _options = options ?? new UdpTrackerClientOptions();
    }

    /// <inheritdoc />
    public Uri Uri { get; }

    /// <inheritdoc />
    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var socket = await EnsureSocketAsync(cancellationToken);
            var packet = new byte[98];
            var length = await ExchangeAsync(socket, packet, p =>
            {
                request.InfoHash.Span.CopyTo(p.AsSpan(16));
                request.PeerId.Span.CopyTo(p.AsSpan(36));
                BinaryPrimitives.WriteInt64BigEndian(p.AsSpan(56), request.Downloaded);
                BinaryPrimitives.WriteInt64BigEndian(p.AsSpan(64), request.Left);
                BinaryPrimitives.WriteInt64BigEndian(p.AsSpan(72), request.Uploaded);
                BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(80), (int)request.Event);
                BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(84), 0);
                BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(88), request.Key);
                BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(92), request.NumWant);
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(96), (ushort)request.Port);
            }, action: 1, minimumResponse: 20, cancellationToken);
            var response = _receive.AsSpan(0, length);
            var peers = new List<IPEndPoint>();
            HttpTrackerClient.ReadCompact(response[20..], socket.AddressFamily == AddressFamily.InterNetworkV6 && !IsMappedV4(socket) ? 16 : 4, peers);
            return new AnnounceResponse(
                TimeSpan.FromSeconds(Math.Clamp(BinaryPrimitives.ReadInt32BigEndian(response[8..]), 1, 86_400)), null, null,
                Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(response[16..])), Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(response[12..])),
                peers, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<ScrapeResponse> ScrapeAsync(IReadOnlyList<ReadOnlyMemory<byte>> infoHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(infoHashes);
        if (infoHashes.Count is 0 or > 74) throw new ArgumentException("A UDP scrape carries 1 to 74 info-hashes.", nameof(infoHashes));
        foreach (var h in infoHashes) if (h.Length != 20) throw new ArgumentException("Info-hashes are 20 bytes.", nameof(infoHashes));
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var socket = await EnsureSocketAsync(cancellationToken);
            var packet = new byte[16 + (20 * infoHashes.Count)];
            var length = await ExchangeAsync(socket, packet, p =>
            {
                for (var i = 0; i < infoHashes.Count; i++) infoHashes[i].Span.CopyTo(p.AsSpan(16 + (20 * i)));
            }, action: 2, minimumResponse: 8 + (12 * infoHashes.Count), cancellationToken);
            var files = new Dictionary<string, ScrapeEntry>(StringComparer.Ordinal);
            for (var i = 0; i < infoHashes.Count; i++)
            {
                var at = _receive.AsSpan(8 + (12 * i));
                files[Convert.ToHexStringLower(infoHashes[i].Span)] = new ScrapeEntry(
                    BinaryPrimitives.ReadInt32BigEndian(at), BinaryPrimitives.ReadInt32BigEndian(at[4..]), BinaryPrimitives.ReadInt32BigEndian(at[8..]));
            }
            _ = length;
            return new ScrapeResponse(files);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _socket?.Dispose();
        _gate.Dispose();
    }

    private static bool IsMappedV4(Socket socket) => socket.RemoteEndPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true };

    private async Task<Socket> EnsureSocketAsync(CancellationToken cancellationToken)
    {
        if (_socket is not null) return _socket;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(Uri.Host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(Uri.DnsSafeHost, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new TrackerException($"Cannot resolve {Uri.Host}: {e.Message}", e);
        }
        if (addresses.Length == 0) throw new TrackerException($"Cannot resolve {Uri.Host}.");
        var address = addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(new IPEndPoint(address, Uri.Port), cancellationToken);
        _socket = socket;
        return socket;
    }

    private async Task<int> ExchangeAsync(Socket socket, byte[] packet, Action<byte[]> fill, int action, int minimumResponse, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        for (var attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            var timeout = _options.InitialTimeout * Math.Pow(2, attempt);
            if (time.GetTimestamp() >= _connectionIdExpires)
            {
                var connect = new byte[16];
                BinaryPrimitives.WriteInt64BigEndian(connect, ProtocolId);
                var connectLength = await SendReceiveAsync(socket, connect, 0, 16, timeout, cancellationToken);
                if (connectLength < 0) continue;
                _connectionId = BinaryPrimitives.ReadInt64BigEndian(_receive.AsSpan(8));
                _connectionIdExpires = time.GetTimestamp() + (long)(_options.ConnectionIdLifetime.TotalSeconds * time.TimestampFrequency);
            }
            BinaryPrimitives.WriteInt64BigEndian(packet, _connectionId);
            fill(packet);
            var length = await SendReceiveAsync(socket, packet, action, minimumResponse, timeout, cancellationToken);
            if (length >= 0) return length;
        }
        throw new TrackerException($"{Uri} did not answer after {_options.MaxRetries + 1} attempts.");
    }

    /// <summary>Sends one request and waits for its reply; -1 on timeout. Replies with other transaction ids are ignored.</summary>
    private async Task<int> SendReceiveAsync(Socket socket, byte[] packet, int action, int minimumResponse, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var transactionId = RandomNumberGenerator.GetInt32(int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), action);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), transactionId);
        using var timeoutSource = new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await socket.SendAsync(packet, SocketFlags.None, linked.Token);
            while (true)
            {
                int length;
                try
                {
                    length = await socket.ReceiveAsync(_receive, SocketFlags.None, linked.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // ICMP port unreachable: nobody listens; wait out the timeout as for a lost datagram.
                    await Task.Delay(Timeout.InfiniteTimeSpan, linked.Token);
                    throw;
                }
                if (length < 8 || BinaryPrimitives.ReadInt32BigEndian(_receive.AsSpan(4)) != transactionId) continue;
                var replyAction = BinaryPrimitives.ReadInt32BigEndian(_receive);
                if (replyAction == 3)
                {
                    _connectionIdExpires = 0; // an expired connection id is reported as an error: reconnect next time
                    throw new TrackerException(Encoding.UTF8.GetString(_receive, 8, length - 8)) { IsFailureReason = true };
                }
                if (replyAction != action || length < minimumResponse)
                    throw new TrackerException($"{Uri} sent a malformed reply (action {replyAction}, {length} bytes).");
                return length;
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return -1;
        }
    }
}
