using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WebTorrent.Dht.Krpc;

namespace WebTorrent.Dht;

/// <summary>A response (or error) to one of our queries, copied out of the datagram.</summary>
internal sealed class KrpcReply
{
    public NodeId Id;
    public EndPoint Source = null!;
    public bool IsError;
    public long ErrorCode;
    public string? ErrorMessage;
    public List<DhtNodeInfo>? Nodes;
    public List<IPEndPoint>? Peers;
    public byte[]? Token;
    public byte[]? Value;
    public byte[]? PublicKey;
    public byte[]? Signature;
    public long Sequence;
    public bool HasSequence;
    public byte[]? BloomSeeds;
    public byte[]? BloomPeers;

    public static KrpcReply From(scoped in KrpcMessage message, EndPoint source)
    {
        var reply = new KrpcReply { Source = source };
        if (message.Type == KrpcMessageType.Error)
        {
            reply.IsError = true;
            reply.ErrorCode = message.ErrorCode;
            reply.ErrorMessage = System.Text.Encoding.UTF8.GetString(message.ErrorMessage);
            return reply;
        }
        reply.Id = new NodeId(message.Id);
        if (!message.Nodes.IsEmpty || !message.Nodes6.IsEmpty)
        {
            var nodes = new List<DhtNodeInfo>(message.Nodes.Length / CompactEncoding.NodeV4Size + message.Nodes6.Length / CompactEncoding.NodeV6Size);
            CompactEncoding.ReadNodes(message.Nodes, CompactEncoding.NodeV4Size, nodes);
            CompactEncoding.ReadNodes(message.Nodes6, CompactEncoding.NodeV6Size, nodes);
            reply.Nodes = nodes;
        }
        if (!message.Values.IsEmpty)
        {
            var peers = new List<IPEndPoint>();
            foreach (var compact in KrpcParser.EnumerateStrings(message.Values))
            {
                if (CompactEncoding.TryReadPeer(compact, out var peer)) peers.Add(peer!);
                if (peers.Count >= 200) break;
            }
            reply.Peers = peers;
        }
        if (!message.Token.IsEmpty) reply.Token = message.Token.ToArray();
        if (!message.Value.IsEmpty) reply.Value = message.Value.ToArray();
        if (!message.PublicKey.IsEmpty) reply.PublicKey = message.PublicKey.ToArray();
        if (!message.Signature.IsEmpty) reply.Signature = message.Signature.ToArray();
        reply.Sequence = message.Sequence;
        reply.HasSequence = message.HasSequence;
        if (message.BloomSeeds.Length == Storage.ScrapeBloomFilter.Size) reply.BloomSeeds = message.BloomSeeds.ToArray();
        if (message.BloomPeers.Length == Storage.ScrapeBloomFilter.Size) reply.BloomPeers = message.BloomPeers.ToArray();
        return reply;
    }
}

/// <summary>One of our queries waiting for its answer.</summary>
internal sealed class PendingQuery
{
    public ushort TransactionId;
    public EndPoint Destination = null!;
    public NodeId? ExpectedId;
    public byte[] Datagram = null!;
    public int RetriesLeft;
    public ITimer? Timer;
    public Action<KrpcReply?> Callback = null!;
    public DhtNode Owner = null!;

    public void OnTimeout() => Owner.OnQueryTimeout(this);
}

/// <summary>Builds the body of a query once its transaction id is known.</summary>
internal delegate void QueryBuilder(IBufferWriter<byte> output, ReadOnlySpan<byte> transactionId);

public sealed partial class DhtNode
{
    /// <summary>
    /// Sends a query and calls <paramref name="callback"/> once, outside the lock, with the reply or null on timeout.
    /// Returns false (and never calls back) when too many queries are pending. Caller holds <see cref="_gate"/>.
    /// </summary>
    private bool SendQuery(EndPoint destination, NodeId? expectedId, int retries, QueryBuilder build, Action<KrpcReply?> callback)
    {
        if (_disposed || _pending.Count >= _options.MaxPendingQueries) return false;
        ushort tid;
        // Random, not sequential: an off-path sender must guess it (and the source address must match too).
        do
        {
            tid = (ushort)RandomNumberGenerator.GetInt32(0x10000);
        }
        while (_pending.ContainsKey(tid));
        Span<byte> t = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(t, tid);
        _scratch.ResetWrittenCount();
        build(_scratch, t);
        var pending = new PendingQuery
        {
            TransactionId = tid,
            Destination = destination,
            ExpectedId = expectedId,
            Datagram = _scratch.WrittenSpan.ToArray(),
            RetriesLeft = retries,
            Callback = callback,
            Owner = this,
        };
        _pending[tid] = pending;
        pending.Timer = _time.CreateTimer(static state => ((PendingQuery)state!).OnTimeout(), pending, _options.QueryTimeout, Timeout.InfiniteTimeSpan);
        Transmit(pending.Datagram, destination);
        _queriesSent++;
        return true;
    }

    internal void OnQueryTimeout(PendingQuery pending)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(pending.TransactionId, out var current) || current != pending) return;
            if (pending.RetriesLeft > 0 && !_disposed)
            {
                pending.RetriesLeft--;
                pending.Timer?.Change(_options.QueryTimeout, Timeout.InfiniteTimeSpan);
                Transmit(pending.Datagram, pending.Destination);
                _queriesSent++;
                return;
            }
            _pending.Remove(pending.TransactionId);
            pending.Timer?.Dispose();
            _timeouts++;
            if (pending.ExpectedId is { } id) _table.MarkFailed(id);
        }
        InvokeCallback(pending, null);
    }

    private void InvokeCallback(PendingQuery pending, KrpcReply? reply)
    {
        try
        {
            pending.Callback(reply);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A callback is our own lookup code; a bug there must not take the receive loop down.
            LogWarning(e, "Query callback failed");
        }
    }

    private void Transmit(byte[] datagram, EndPoint destination)
    {
        try
        {
            var send = _transport.SendAsync(datagram, destination, CancellationToken.None);
            if (!send.IsCompletedSuccessfully) _ = ObserveAsync(send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException or ArgumentException)
        {
            LogDebug("Send to {0} failed: {1}", destination, e.Message);
        }
    }

    private void TransmitPooled(ReadOnlySpan<byte> datagram, EndPoint destination)
    {
        var rented = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(rented);
        try
        {
            var send = _transport.SendAsync(rented.AsMemory(0, datagram.Length), destination, CancellationToken.None);
            if (send.IsCompletedSuccessfully)
            {
                ArrayPool<byte>.Shared.Return(rented);
                return;
            }
            _ = ReturnAfterAsync(send, rented);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException or ArgumentException)
        {
            ArrayPool<byte>.Shared.Return(rented);
            LogDebug("Send to {0} failed: {1}", destination, e.Message);
        }
    }

    private async Task ObserveAsync(ValueTask send)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            LogDebug("Send failed: {0}", e.Message, null);
        }
    }

    private async Task ReturnAfterAsync(ValueTask send, byte[] rented)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            LogDebug("Send failed: {0}", e.Message, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private KrpcWant WantFlags => _transport.LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? KrpcWant.Nodes4 | KrpcWant.Nodes6 : KrpcWant.None;

    /// <summary>Pings <paramref name="endPoint"/>; on success the node joins the routing table.</summary>
    /// <returns>The node's id, or null when it did not answer.</returns>
    public async Task<NodeId?> PingAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint is DnsEndPoint)
        {
            // Replies are matched by source address: a name is resolved first, and its first address is pinged.
            var resolved = await ResolveAsync([endPoint], cancellationToken).ConfigureAwait(false);
            if (resolved.Count == 0) return null;
            endPoint = resolved[0];
        }
        var completion = NewCompletion<NodeId?>();
        var id = Id;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!SendQuery(endPoint, null, _options.QueryRetries, (o, t) => KrpcWriter.WritePing(o, t, id),
                    reply => completion.TrySetResult(reply is { IsError: false } ? reply.Id : null)))
                completion.TrySetResult(null);
        }
        return await WithCancellation(completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="endPoints"/> with every <see cref="DnsEndPoint"/> replaced by its addresses (none when the name
    /// does not resolve), so that a reply can be matched by its source address: bootstrap routers are named.
    /// </summary>
    private async Task<List<EndPoint>> ResolveAsync(IReadOnlyList<EndPoint> endPoints, CancellationToken cancellationToken)
    {
        var resolved = new List<EndPoint>(endPoints.Count);
        foreach (var endPoint in endPoints)
        {
            if (endPoint is not DnsEndPoint dns)
            {
                resolved.Add(endPoint);
                continue;
            }
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(dns.Host, dns.AddressFamily, cancellationToken).ConfigureAwait(false);
                foreach (var address in addresses)
                    resolved.Add(new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, dns.Port));
            }
            catch (SocketException e)
            {
                LogWarning(e, $"Bootstrap node {dns.Host} does not resolve.");
            }
        }
        return resolved;
    }

    private TaskCompletionSource<T> NewCompletion<T>() =>
        new(_options.RunContinuationsAsynchronously ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);

    private static async Task<T> WithCancellation<T>(TaskCompletionSource<T> completion, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled) return await completion.Task.ConfigureAwait(false);
        await using (cancellationToken.Register(static state => ((TaskCompletionSource<T>)state!).TrySetCanceled(), completion).ConfigureAwait(false))
            return await completion.Task.ConfigureAwait(false);
    }
}
