namespace WebRtc.DataChannels;

/// <summary>
/// A data channel as a byte <see cref="Stream"/>, so stream protocols (the BitTorrent peer wire) run over
/// it unchanged: a write is sent as one or more binary messages, reads return message bytes in order
/// regardless of message boundaries. Read returns 0 once the channel is closed and drained.
/// </summary>
public sealed class DataChannelStream : Stream
{
    private readonly DataChannel _channel;
    private readonly int _maxWriteMessageSize;
    private readonly bool _closeChannelOnDispose;
    private DataChannelMessage _current;
    private int _currentOffset;
    private bool _hasCurrent;
    private bool _disposed;

    internal DataChannelStream(DataChannel channel, int maxWriteMessageSize, bool closeChannelOnDispose)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWriteMessageSize, 1);
        _channel = channel;
        _maxWriteMessageSize = maxWriteMessageSize;
        _closeChannelOnDispose = closeChannelOnDispose;
    }

    /// <summary>The channel underneath.</summary>
    public DataChannel Channel => _channel;

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => !_disposed;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (!_hasCurrent)
        {
            var next = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (next is not { } message) return 0;
            if (message.Data.IsEmpty)
            {
                message.Dispose();
                continue;
            }
            _current = message;
            _currentOffset = 0;
            _hasCurrent = true;
        }
        var data = _current.Data.Span[_currentOffset..];
        var count = Math.Min(data.Length, buffer.Length);
        data[..count].CopyTo(buffer.Span);
        _currentOffset += count;
        if (_currentOffset == _current.Data.Length)
        {
            _current.Dispose();
            _current = default;
            _hasCurrent = false;
        }
        return count;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            var part = buffer[..Math.Min(buffer.Length, _maxWriteMessageSize)];
            try
            {
                await _channel.SendAsync(part, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                throw new IOException("The data channel is closed.", ex);
            }
            buffer = buffer[part.Length..];
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Nothing to flush: every write is handed to SCTP when it completes.</summary>
    public override void Flush() { }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (_hasCurrent) _current.Dispose();
            _hasCurrent = false;
            if (_closeChannelOnDispose) _channel.Close();
        }
        base.Dispose(disposing);
    }
}
