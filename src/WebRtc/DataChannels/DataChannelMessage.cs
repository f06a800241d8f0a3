using System.Text;
using WebRtc.Sctp;

namespace WebRtc.DataChannels;

/// <summary>
/// One message received on a data channel. Its bytes are pooled and count against the receive window:
/// dispose it once read (messages given to a <see cref="DataChannel.MessageReceived"/> handler are disposed after the call).
/// </summary>
public readonly struct DataChannelMessage : IDisposable, IEquatable<DataChannelMessage>
{
    private readonly SctpMessage? _message;

    internal DataChannelMessage(SctpMessage message, bool isText, bool isEmpty)
    {
        _message = message;
        IsText = isText;
        IsEmpty = isEmpty;
    }

    /// <summary>True for a text (UTF-8 string) message, false for binary.</summary>
    public bool IsText { get; }

    private bool IsEmpty { get; }

    /// <summary>The bytes of the message (UTF-8 for text). Empty after <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Data => IsEmpty || _message is null ? ReadOnlyMemory<byte>.Empty : _message.Data;

    /// <summary>The message decoded as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Data.Span);

    /// <summary>Returns the buffer to the pool and reopens the receive window.</summary>
    public void Dispose() => _message?.Dispose();

    /// <inheritdoc/>
    public bool Equals(DataChannelMessage other) => ReferenceEquals(_message, other._message);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DataChannelMessage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _message?.GetHashCode() ?? 0;

    /// <summary>Equality by identity of the underlying message.</summary>
    public static bool operator ==(DataChannelMessage left, DataChannelMessage right) => left.Equals(right);

    /// <summary>Inequality by identity of the underlying message.</summary>
    public static bool operator !=(DataChannelMessage left, DataChannelMessage right) => !left.Equals(right);
}

/// <summary>Handles a message; <paramref name="message"/> is valid only during the call.</summary>
public delegate void DataChannelMessageHandler(DataChannel channel, in DataChannelMessage message);
