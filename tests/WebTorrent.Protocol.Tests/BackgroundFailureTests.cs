using System.Buffers.Binary;
using System.IO.Pipelines;
using WebTorrent.TestSupport;

namespace WebTorrent.Protocol.Tests;

/// <summary>Sends nobody awaits and handlers that throw: the wire closes with the reason, the process never goes down.</summary>
public class BackgroundFailureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>A writer that fails its flushes with an exception type no catch filter expects, once armed.</summary>
    private sealed class FailingWriter(PipeWriter inner) : PipeWriter
    {
        public volatile bool Armed;
        public override void Advance(int bytes) => inner.Advance(bytes);
        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            Armed ? ValueTask.FromException<FlushResult>(new NotSupportedException("flush failed oddly")) : inner.FlushAsync(cancellationToken);
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    [Fact]
    public async Task A_background_reject_failing_with_an_unexpected_exception_closes_the_wire_not_the_process()
    {
        var (local, remote) = DuplexPipePair.Create();
        var writer = new FailingWriter(local.Output);
        var wire = new PeerWire(new Duplex(local.Input, writer), layout: new PieceLayout(16384 * 4, 16384));
        var infoHash = new byte[20];
        var handshake = wire.HandshakeAsync(infoHash, new byte[20]);
        new PeerHandshake(infoHash, new byte[20], PeerHandshake.FastExtensionBit).WriteTo(remote.Output);
        await remote.Output.FlushAsync();
        await handshake.WaitAsync(Wait);
        writer.Armed = true;
        // We choke: with the fast extension the wire answers this request with a reject nobody awaits.
        var request = new byte[17];
        BinaryPrimitives.WriteInt32BigEndian(request, 13);
        request[4] = 6;
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(13), 16384);
        await remote.Output.WriteAsync(request);
        await wire.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Local, wire.CloseReason);
        Assert.IsType<NotSupportedException>(wire.CloseError);
    }

    [Fact]
    public async Task A_throwing_closed_handler_still_completes_the_wire()
    {
        var (local, _) = DuplexPipePair.Create();
        var wire = new PeerWire(local);
        wire.Closed += (_, _) => throw new InvalidOperationException("handler bug");
        wire.Abort();
        await wire.Completion.WaitAsync(Wait);
        Assert.True(wire.IsClosed);
    }
}
