using System.IO.Pipelines;

namespace WebTorrent.TestSupport;

/// <summary>Two connected in-memory <see cref="IDuplexPipe"/> ends: what one writes, the other reads.</summary>
public static class DuplexPipePair
{
    /// <summary>Creates a connected pair. <paramref name="options"/> bound the bytes buffered each way.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) Create(PipeOptions? options = null)
    {
        options ??= new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new Duplex(bToA.Reader, aToB.Writer), new Duplex(aToB.Reader, bToA.Writer));
    }

    /// <summary>Creates a connected pair of <see cref="Stream"/>s.</summary>
    public static (Stream A, Stream B) CreateStreams(PipeOptions? options = null)
    {
        var (a, b) = Create(options);
        return (new DuplexStream(a), new DuplexStream(b));
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class DuplexStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _read = pipe.Input.AsStream();
        private readonly Stream _write = pipe.Output.AsStream();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _write.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write.WriteAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                pipe.Output.Complete();
                pipe.Input.Complete();
            }
            base.Dispose(disposing);
        }
    }
}
