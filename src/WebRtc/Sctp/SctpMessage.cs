using System.Buffers;

namespace WebRtc.Sctp;

/// <summary>
/// A complete message received on a stream. Its bytes live in a pooled buffer that counts against the
/// receive window: dispose the message once read, which returns the buffer and reopens the window.
/// </summary>
public sealed class SctpMessage : IDisposable
{
    private SctpAssociation? _owner;
    private byte[]? _buffer;
    private int _length;

    internal SctpMessage() { }

    /// <summary>The stream it arrived on.</summary>
    public ushort StreamId { get; private set; }

    /// <summary>The payload protocol identifier (for data channels: 50 DCEP, 51 string, 53 binary, 56/57 empty).</summary>
    public uint PayloadProtocol { get; private set; }

    /// <summary>True if it was sent unordered.</summary>
    public bool Unordered { get; private set; }

    /// <summary>The bytes of the message; empty after <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Data => _buffer is null ? default : _buffer.AsMemory(0, _length);

    /// <summary>Length in bytes.</summary>
    public int Length => _length;

    internal void Initialize(SctpAssociation owner, ushort streamId, uint payloadProtocol, bool unordered, byte[] buffer, int length)
    {
        _owner = owner;
        StreamId = streamId;
        PayloadProtocol = payloadProtocol;
        Unordered = unordered;
        _buffer = buffer;
        _length = length;
    }

    /// <summary>Returns the buffer to the pool and gives its bytes back to the receive window.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is null) return;
        var owner = _owner;
        var length = _length;
        _owner = null;
        _length = 0;
        ArrayPool<byte>.Shared.Return(buffer);
        owner?.ReleaseReceiveBuffer(length);
    }
}
