using System.Net;
using System.Threading.Channels;

namespace WebTorrent.TestSupport;

/// <summary>
/// An in-memory datagram network, after Pion's vnet: sockets bound to virtual endpoints exchange
/// datagrams with configurable loss, delay, jitter, reordering and duplication, timed by a
/// <see cref="TimeProvider"/> (a FakeTimeProvider makes it deterministic). No real socket is used.
/// </summary>
public sealed class VirtualNetwork : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<IPEndPoint, VirtualUdpSocket> _sockets = new();
    private readonly Dictionary<(IPAddress, IPAddress), NetworkConditions> _links = new();
    private readonly PriorityQueue<PendingDatagram, (long Due, long Seq)> _inFlight = new();
    private readonly ITimer _timer;
    private readonly Random _random;
    private long _sequence;
    private long _armedFor = long.MaxValue;
    private int _nextPort = 40000;
    private bool _disposed;

    /// <summary>Creates a network timed by <paramref name="time"/>, with a seeded random source so runs repeat.</summary>
    public VirtualNetwork(TimeProvider? time = null, int seed = 12345)
    {
        Time = time ?? TimeProvider.System;
        _random = new Random(seed);
        _timer = Time.CreateTimer(_ => DeliverDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The clock that times delivery.</summary>
    public TimeProvider Time { get; }

    /// <summary>Conditions of every link without its own (see <see cref="SetLink"/>).</summary>
    public NetworkConditions DefaultConditions { get; set; } = NetworkConditions.Perfect;

    /// <summary>Datagrams sent so far.</summary>
    public long Sent { get; private set; }

    /// <summary>Datagrams delivered to a bound socket so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Datagrams dropped so far (loss, MTU, or nobody bound at the destination).</summary>
    public long Dropped { get; private set; }

    /// <summary>Datagrams delivered twice so far.</summary>
    public long Duplicated { get; private set; }

    /// <summary>Sets the conditions from <paramref name="from"/> to <paramref name="to"/> (one direction).</summary>
    public void SetLink(IPAddress from, IPAddress to, NetworkConditions conditions)
    {
        lock (_gate) _links[(from, to)] = conditions;
    }

    /// <summary>Binds a socket; port 0 picks a free one.</summary>
    public VirtualUdpSocket Bind(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var port = endpoint.Port;
            if (port == 0)
            {
                do port = _nextPort++; while (_sockets.ContainsKey(new IPEndPoint(endpoint.Address, port)));
            }
            var bound = new IPEndPoint(endpoint.Address, port);
            if (_sockets.ContainsKey(bound)) throw new InvalidOperationException($"{bound} is already bound.");
            var socket = new VirtualUdpSocket(this, bound);
            _sockets.Add(bound, socket);
            return socket;
        }
    }

    /// <summary>Binds a socket on <paramref name="address"/> with a free port.</summary>
    public VirtualUdpSocket Bind(string address) => Bind(new IPEndPoint(IPAddress.Parse(address), 0));

    internal void Unbind(VirtualUdpSocket socket)
    {
        lock (_gate) _sockets.Remove(socket.LocalEndPoint);
    }

    internal void Send(VirtualUdpSocket from, ReadOnlySpan<byte> payload, IPEndPoint to)
    {
        var copy = payload.ToArray();
        bool instant;
        lock (_gate)
        {
            if (_disposed) return;
            Sent++;
            var c = _links.TryGetValue((from.LocalEndPoint.Address, to.Address), out var link) ? link : DefaultConditions;
            instant = c.Delay == TimeSpan.Zero && c.Jitter == TimeSpan.Zero && c.ReorderRate == 0;
            if (payload.Length > c.Mtu || _random.NextDouble() < c.LossRate)
            {
                Dropped++;
                return;
            }
            var copies = _random.NextDouble() < c.DuplicateRate ? 2 : 1;
            if (copies == 2) Duplicated++;
            for (var i = 0; i < copies; i++)
            {
                var delay = c.Delay;
                if (c.Jitter > TimeSpan.Zero) delay += TimeSpan.FromTicks((long)(_random.NextDouble() * c.Jitter.Ticks));
                if (_random.NextDouble() < c.ReorderRate) delay += c.ReorderDelay;
                var due = Time.GetTimestamp() + (long)(delay.TotalSeconds * Time.TimestampFrequency);
                _inFlight.Enqueue(new PendingDatagram(copy, from.LocalEndPoint, to), (due, _sequence++));
            }
            ArmLocked();
        }
        if (instant) DeliverDue();
    }

    private void ArmLocked()
    {
        if (_inFlight.Count == 0 || !_inFlight.TryPeek(out _, out var key)) return;
        if (key.Due >= _armedFor) return;
        _armedFor = key.Due;
        var wait = Time.GetElapsedTime(Time.GetTimestamp(), key.Due);
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        _timer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private void DeliverDue()
    {
        List<(VirtualUdpSocket, PendingDatagram)>? deliveries = null;
        lock (_gate)
        {
            _armedFor = long.MaxValue;
            var now = Time.GetTimestamp();
            while (_inFlight.TryPeek(out var d, out var key) && key.Due <= now)
            {
                _inFlight.Dequeue();
                if (_sockets.TryGetValue(d.To, out var target) ||
                    _sockets.TryGetValue(new IPEndPoint(IPAddress.Any, d.To.Port), out target))
                {
                    (deliveries ??= new()).Add((target, d));
                    Delivered++;
                }
                else
                {
                    Dropped++;
                }
            }
            ArmLocked();
        }
        if (deliveries is null) return;
        foreach (var (socket, d) in deliveries) socket.Enqueue(new ReceivedDatagram(d.Payload, d.From));
    }

    /// <summary>Closes every socket and stops delivery.</summary>
    public void Dispose()
    {
        VirtualUdpSocket[] open;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            open = _sockets.Values.ToArray();
            _sockets.Clear();
            _inFlight.Clear();
        }
        _timer.Dispose();
        foreach (var s in open) s.Dispose();
    }

    private readonly record struct PendingDatagram(byte[] Payload, IPEndPoint From, IPEndPoint To);
}

/// <summary>A datagram as received: its bytes and where it came from.</summary>
public readonly record struct ReceivedDatagram(byte[] Payload, IPEndPoint From);

/// <summary>A socket on a <see cref="VirtualNetwork"/>: send to any virtual endpoint, receive in arrival order.</summary>
public sealed class VirtualUdpSocket : IDisposable
{
    private readonly VirtualNetwork _network;
    private readonly Channel<ReceivedDatagram> _inbox =
        Channel.CreateBounded<ReceivedDatagram>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropWrite });

    internal VirtualUdpSocket(VirtualNetwork network, IPEndPoint local)
    {
        _network = network;
        LocalEndPoint = local;
    }

    /// <summary>The endpoint this socket is bound to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends a datagram; like UDP it may be lost, and never blocks.</summary>
    public void Send(ReadOnlySpan<byte> payload, IPEndPoint to) => _network.Send(this, payload, to);

    /// <summary>Sends a datagram (async shape, for adapters to socket-like interfaces).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, IPEndPoint to, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Send(payload.Span, to);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits for the next datagram. Throws <see cref="ChannelClosedException"/> once disposed.</summary>
    public ValueTask<ReceivedDatagram> ReceiveAsync(CancellationToken cancellationToken = default) =>
        _inbox.Reader.ReadAsync(cancellationToken);

    /// <summary>Returns a datagram already received, if any.</summary>
    public bool TryReceive(out ReceivedDatagram datagram) => _inbox.Reader.TryRead(out datagram);

    internal void Enqueue(ReceivedDatagram datagram) => _inbox.Writer.TryWrite(datagram);

    /// <summary>Unbinds the socket; pending receives end.</summary>
    public void Dispose()
    {
        if (_inbox.Writer.TryComplete()) _network.Unbind(this);
    }
}
