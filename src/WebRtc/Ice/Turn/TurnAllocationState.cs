namespace WebRtc.Ice.Turn;

/// <summary>The life of a TURN allocation.</summary>
public enum TurnAllocationState
{
    /// <summary>Not asked for yet.</summary>
    New,

    /// <summary>The Allocate request is in flight.</summary>
    Allocating,

    /// <summary>The server relays for us; refreshes keep it alive.</summary>
    Allocated,

    /// <summary>Allocating or a refresh failed: the relay is gone.</summary>
    Failed,

    /// <summary>Closed (and, if it was allocated, deleted on the server).</summary>
    Closed,
}
