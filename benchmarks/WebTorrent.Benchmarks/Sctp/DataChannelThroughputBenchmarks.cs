using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Sctp;
using WebRtc.Sdp;
using WebRtc.Transport;

namespace WebTorrent.Benchmarks.Sctp;

/// <summary>
/// Throughput of one reliable ordered data channel, C# to C#: over SCTP alone on an in-memory datagram
/// link, and over the full stack (ICE + DTLS + SCTP) on UDP loopback. Each operation moves 32 MiB in
/// 64 KiB messages; throughput = 32 MiB / mean. CPU seconds per GB are printed at cleanup.
/// </summary>
[MemoryDiagnoser]
public class DataChannelThroughputBenchmarks
{
    private const int TotalBytes = 32 << 20;
    private const int MessageSize = 64 << 10;
    private readonly byte[] _message = new byte[MessageSize];
    private DataChannel _sender = null!;
    private long _received;
    private TaskCompletionSource _done = new();
    private Func<ValueTask>? _cleanup;
    private TimeSpan _cpuAtStart;
    private long _bytesMoved;

    [Params("sctp-in-memory", "full-stack-udp-loopback")]
    public string Path { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_message);
        if (Path == "sctp-in-memory") SetupInMemoryAsync().GetAwaiter().GetResult();
        else SetupFullStackAsync().GetAwaiter().GetResult();
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    private void Count(DataChannel channel, in DataChannelMessage message)
    {
        if (Interlocked.Add(ref _received, message.Data.Length) >= TotalBytes) _done.TrySetResult();
    }

    private async Task SetupInMemoryAsync()
    {
        var (a, b) = MemoryDatagramTransport.CreatePair(1200);
        var client = new DataChannelSession(new SctpAssociation(a), true, 262144);
        var server = new DataChannelSession(new SctpAssociation(b), false, 262144);
        var opened = new TaskCompletionSource<DataChannel>();
        server.DataChannelOpened += (_, c) => { c.MessageReceived += Count; opened.TrySetResult(c); };
        await Task.WhenAll(client.StartAsync(), server.StartAsync());
        _sender = client.CreateDataChannel("bench");
        await opened.Task;
        _cleanup = async () => { await client.DisposeAsync(); await server.DisposeAsync(); };
    }

    private async Task SetupFullStackAsync()
    {
        var options = new PeerConnectionOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } };
        var a = new PeerConnection(options);
        var b = new PeerConnection(options);
        var opened = new TaskCompletionSource<DataChannel>();
        b.DataChannelOpened += (_, c) => { c.MessageReceived += Count; opened.TrySetResult(c); };
        _sender = a.CreateDataChannel("bench");
        var offer = await a.CreateOfferAsync();
        await a.SetLocalDescriptionAsync(offer);
        await b.SetRemoteDescriptionAsync(SessionDescription.Parse(offer.ToString(), SdpType.Offer));
        var answer = await b.CreateAnswerAsync();
        await b.SetLocalDescriptionAsync(answer);
        await a.SetRemoteDescriptionAsync(SessionDescription.Parse(answer.ToString(), SdpType.Answer));
        await opened.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _cleanup = async () => { await a.DisposeAsync(); await b.DisposeAsync(); };
    }

    [Benchmark(Description = "32 MiB over one data channel")]
    public async Task Transfer()
    {
        _received = 0;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var sent = 0; sent < TotalBytes; sent += MessageSize) await _sender.SendAsync(_message);
        await _done.Task;
        _bytesMoved += TotalBytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        if (_bytesMoved > 0)
            Console.WriteLine($"// {Path}: {cpu.TotalSeconds / (_bytesMoved / 1e9):F2} CPU-seconds per GB (both ends, {_bytesMoved >> 20} MiB moved); working set {Process.GetCurrentProcess().WorkingSet64 >> 20} MiB");
        _cleanup?.Invoke().AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>An in-memory datagram link: what one end sends the other receives, nothing lost.</summary>
internal sealed class MemoryDatagramTransport(ChannelReader<(byte[] Buffer, int Length)> inbox, ChannelWriter<(byte[] Buffer, int Length)> outbox, int maxDatagramSize) : IDatagramTransport
{
    public int MaxDatagramSize => maxDatagramSize;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.Span.CopyTo(copy);
        if (!outbox.TryWrite((copy, datagram.Length))) ArrayPool<byte>.Shared.Return(copy);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var (data, length) = await inbox.ReadAsync(cancellationToken);
            data.AsSpan(0, length).CopyTo(buffer.Span);
            ArrayPool<byte>.Shared.Return(data);
            return length;
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
    }

    public ValueTask DisposeAsync()
    {
        outbox.TryComplete();
        return ValueTask.CompletedTask;
    }

    public static (MemoryDatagramTransport A, MemoryDatagramTransport B) CreatePair(int maxDatagramSize)
    {
        var ab = Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true });
        var ba = Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true });
        return (new MemoryDatagramTransport(ba.Reader, ab.Writer, maxDatagramSize), new MemoryDatagramTransport(ab.Reader, ba.Writer, maxDatagramSize));
    }
}
