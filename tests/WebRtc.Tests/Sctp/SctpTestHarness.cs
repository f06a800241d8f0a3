using System.Threading.Channels;
using WebRtc.Sctp;
using WebRtc.Transport;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Sctp;

/// <summary>Two connected associations over a virtual network, collecting received messages.</summary>
public sealed class SctpPair : IAsyncDisposable
{
    public required VirtualNetwork? Network { get; init; }
    public required SctpAssociation A { get; init; }
    public required SctpAssociation B { get; init; }
    public required IDatagramTransport TransportA { get; init; }
    public required IDatagramTransport TransportB { get; init; }
    public Channel<(ushort Stream, uint Ppid, byte[] Data)> ReceivedByA { get; } = Channel.CreateUnbounded<(ushort, uint, byte[])>();
    public Channel<(ushort Stream, uint Ppid, byte[] Data)> ReceivedByB { get; } = Channel.CreateUnbounded<(ushort, uint, byte[])>();

    public static Task<SctpPair> CreateAsync(NetworkConditions? conditions = null, SctpOptions? options = null, int seed = 1, TimeProvider? time = null, bool connect = true)
    {
        var network = new VirtualNetwork(time, seed) { DefaultConditions = conditions ?? NetworkConditions.Perfect };
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        return CreateAsync(network, ta, tb, options, time, connect);
    }

    public static async Task<SctpPair> CreateAsync(VirtualNetwork? network, IDatagramTransport ta, IDatagramTransport tb, SctpOptions? options = null, TimeProvider? time = null, bool connect = true)
    {
        var pair = new SctpPair
        {
            Network = network,
            TransportA = ta,
            TransportB = tb,
            A = new SctpAssociation(ta, options, time),
            B = new SctpAssociation(tb, options, time),
        };
        pair.A.MessageReceived = m => { pair.ReceivedByA.Writer.TryWrite((m.StreamId, m.PayloadProtocol, m.Data.ToArray())); m.Dispose(); };
        pair.B.MessageReceived = m => { pair.ReceivedByB.Writer.TryWrite((m.StreamId, m.PayloadProtocol, m.Data.ToArray())); m.Dispose(); };
        if (connect)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Task.WhenAll(pair.A.ConnectAsync(cts.Token), pair.B.ConnectAsync(cts.Token));
        }
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await TransportA.DisposeAsync();
        await TransportB.DisposeAsync();
        Network?.Dispose();
    }
}
