namespace WebRtc.DataChannels;

/// <summary>How a data channel is opened (the RTCDataChannelInit of the W3C API).</summary>
public sealed record DataChannelOptions
{
    /// <summary>Deliver messages in order (default) or as they complete.</summary>
    public bool Ordered { get; init; } = true;

    /// <summary>Partial reliability: retransmit a message at most this often. Exclusive with <see cref="MaxPacketLifeTime"/>.</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Partial reliability: give a message up once this old. Exclusive with <see cref="MaxRetransmits"/>.</summary>
    public TimeSpan? MaxPacketLifeTime { get; init; }

    /// <summary>Sub-protocol name, sent to the peer in DCEP.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>True if both sides create the channel themselves with the same <see cref="Id"/> (no DCEP handshake).</summary>
    public bool Negotiated { get; init; }

    /// <summary>The stream id; required when <see cref="Negotiated"/>, chosen automatically otherwise.</summary>
    public ushort? Id { get; init; }

    /// <summary>DCEP priority (RFC 8832); 256 is "normal".</summary>
    public ushort Priority { get; init; } = 256;

    internal void Validate(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (System.Text.Encoding.UTF8.GetByteCount(label) > ushort.MaxValue) throw new ArgumentException("The label is longer than 65535 bytes.", nameof(label));
        if (System.Text.Encoding.UTF8.GetByteCount(Protocol) > ushort.MaxValue) throw new ArgumentException("The protocol is longer than 65535 bytes.");
        if (MaxRetransmits is not null && MaxPacketLifeTime is not null)
            throw new ArgumentException("MaxRetransmits and MaxPacketLifeTime cannot both be set.");
        if (MaxRetransmits is < 0) throw new ArgumentException("MaxRetransmits cannot be negative.");
        if (MaxPacketLifeTime is { } t && t < TimeSpan.Zero) throw new ArgumentException("MaxPacketLifeTime cannot be negative.");
        if (Negotiated && Id is null) throw new ArgumentException("A negotiated channel needs an Id.");
        if (Id == ushort.MaxValue) throw new ArgumentException("Stream id 65535 is reserved.");
    }
}

/// <summary>The life of a data channel (the W3C RTCDataChannelState).</summary>
public enum DataChannelState
{
    /// <summary>Waiting for the association (or the peer) before it can carry messages.</summary>
    Connecting,
    /// <summary>Messages flow.</summary>
    Open,
    /// <summary>Its streams are being reset.</summary>
    Closing,
    /// <summary>Done: nothing more is sent or received.</summary>
    Closed,
}
