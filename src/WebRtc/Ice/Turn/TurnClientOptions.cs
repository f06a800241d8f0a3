namespace WebRtc.Ice.Turn;

/// <summary>Options of a <see cref="TurnClient"/>. The defaults follow RFC 8656's lifetimes.</summary>
public sealed record TurnClientOptions
{
    /// <summary>The clock of every TURN timer (retransmissions and refreshes).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The allocation lifetime asked for; the server may grant less. Default 10 minutes.</summary>
    public TimeSpan RequestedLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a permission is renewed; permissions expire after 5 minutes. Default 4 minutes.</summary>
    public TimeSpan PermissionRefreshInterval { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>How often a channel binding is renewed; bindings expire after 10 minutes. Default 9 minutes.</summary>
    public TimeSpan ChannelRefreshInterval { get; init; } = TimeSpan.FromMinutes(9);

    /// <summary>The first retransmission timeout of a request; it doubles on each retransmission (RFC 8489: 500 ms).</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Transmissions of a request before it times out (RFC 8489 Rc: 7).</summary>
    public int MaxTransmissions { get; init; } = 7;

    /// <summary>How long closing waits for the server to confirm the allocation's deletion.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The most peer addresses given permissions (each is refreshed while the allocation lives).</summary>
    public int MaxPermissions { get; init; } = 64;

    /// <summary>The most channels bound (RFC 8656 allows 4096).</summary>
    public int MaxChannels { get; init; } = 64;

    /// <summary>Datagrams to a peer kept while its permission is being created; later ones are dropped.</summary>
    public int MaxDatagramsAwaitingPermission { get; init; } = 8;

    /// <summary>Relayed datagrams buffered for the reader before new ones are dropped.</summary>
    public int ReceiveQueueCapacity { get; init; } = 1024;

    /// <summary>Throws when an option is out of range.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestedLifetime, TimeSpan.FromSeconds(1), nameof(RequestedLifetime));
        if (PermissionRefreshInterval <= TimeSpan.Zero || PermissionRefreshInterval >= TimeSpan.FromMinutes(5))
            throw new ArgumentOutOfRangeException(nameof(PermissionRefreshInterval), "Permissions expire after 5 minutes: refresh sooner.");
        if (ChannelRefreshInterval <= TimeSpan.Zero || ChannelRefreshInterval >= TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(ChannelRefreshInterval), "Channel bindings expire after 10 minutes: refresh sooner.");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialRetransmitTimeout, TimeSpan.Zero, nameof(InitialRetransmitTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTransmissions, 1, nameof(MaxTransmissions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPermissions, 1, nameof(MaxPermissions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 0, nameof(MaxChannels));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxChannels, ChannelData.MaxChannelNumber - ChannelData.MinChannelNumber + 1, nameof(MaxChannels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDatagramsAwaitingPermission, 0, nameof(MaxDatagramsAwaitingPermission));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
    }
}
