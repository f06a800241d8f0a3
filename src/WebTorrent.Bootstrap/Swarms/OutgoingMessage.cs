using System.Buffers;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>A serialized message in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; whoever sends it returns it.</summary>
internal readonly struct OutgoingMessage(byte[] buffer, int length)
{
    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

    public void Return() => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>Copies what a pooled writer holds into a rented buffer of its own.</summary>
    public static OutgoingMessage CopyOf(ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new OutgoingMessage(buffer, bytes.Length);
    }
}
