using System.Buffers.Binary;
using System.Net;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Dht.Simulation;

/// <summary>Loss and latency of a <see cref="SimulatedNetwork"/>.</summary>
public sealed record SimulatedNetworkConditions
{
    /// <summary>Probability that one datagram is lost (0 to 1).</summary>
    public double Loss { get; init; }

    /// <summary>Smallest one-way delay.</summary>
    public TimeSpan MinLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Largest one-way delay (uniform between the two; reorders datagrams).</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(150);
}

/// <summary>
/// An in-memory datagram network on a <see cref="DiscreteEventScheduler"/>: no sockets, no threads. Each transport
/// gets its own address (10.x.y.z:6881), datagrams are copied, delayed, reordered and lost as the conditions say,
/// and delivered by the scheduler. Nodes built on it must use the scheduler as their TimeProvider and
/// <see cref="DhtNodeOptions.RunContinuationsAsynchronously"/> = false, so a whole network runs on one thread,
/// deterministically for a given seed.
/// </summary>
public sealed class SimulatedNetwork
{
    private const int Port = 6881;
    private readonly List<SimulatedTransport?> _transports = [];
    private readonly Random _random;

    /// <summary>Creates a network on <paramref name="scheduler"/>.</summary>
    public SimulatedNetwork(DiscreteEventScheduler scheduler, SimulatedNetworkConditions? conditions = null, int seed = 1)
    {
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        Conditions = conditions ?? new SimulatedNetworkConditions();
        _random = new Random(seed);
    }

    /// <summary>The clock.</summary>
    public DiscreteEventScheduler Scheduler { get; }

    /// <summary>Loss and latency; may be changed between runs.</summary>
    public SimulatedNetworkConditions Conditions { get; set; }

    /// <summary>Datagrams sent.</summary>
    public long Sent { get; private set; }

    /// <summary>Datagrams lost (to loss, or to an address nobody listens on).</summary>
    public long Lost { get; private set; }

    /// <summary>Creates a transport with a new address.</summary>
    public IDhtTransport CreateTransport()
    {
        var index = _transports.Count;
        if (index >= 1 << 24) throw new InvalidOperationException("The simulated address space (10.0.0.0/8) is full.");
        Span<byte> address = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(address, 0x0A000000u | (uint)index);
        var transport = new SimulatedTransport(this, index, new IPEndPoint(new IPAddress(address), Port));
        _transports.Add(transport);
        return transport;
    }

    private void Send(SimulatedTransport from, ReadOnlyMemory<byte> datagram, EndPoint destination)
    {
        Sent++;
        if (destination is not IPEndPoint ip || ip.Port != Port || !TryIndex(ip.Address, out var index) || index >= _transports.Count
            || _random.NextDouble() < Conditions.Loss)
        {
            Lost++;
            return;
        }
        var copy = datagram.ToArray();
        var spread = (Conditions.MaxLatency - Conditions.MinLatency).Ticks;
        var delay = Conditions.MinLatency + TimeSpan.FromTicks(spread > 0 ? _random.NextInt64(spread) : 0);
        var source = from.Local;
        Scheduler.Schedule(delay, () =>
        {
            var target = _transports[index];
            if (target?.Handler is { } handler) handler(copy, source);
            else Lost++;
        });
    }

    private static bool TryIndex(IPAddress address, out int index)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length) || length != 4 || bytes[0] != 10)
        {
            index = -1;
            return false;
        }
        index = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x00FFFFFF);
        return true;
    }

    private sealed class SimulatedTransport(SimulatedNetwork network, int index, IPEndPoint local) : IDhtTransport
    {
        public IPEndPoint Local { get; } = local;

        public DhtDatagramHandler? Handler { get; private set; }

        public EndPoint LocalEndPoint => Local;

        public void Start(DhtDatagramHandler handler) => Handler = handler ?? throw new ArgumentNullException(nameof(handler));

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint destination, CancellationToken cancellationToken)
        {
            if (Handler is not null) network.Send(this, datagram, destination);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            // The node has left: its address goes dark (datagrams to it are lost).
            Handler = null;
            network._transports[index] = null;
            return ValueTask.CompletedTask;
        }
    }
}
