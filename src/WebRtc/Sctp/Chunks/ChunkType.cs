namespace WebRtc.Sctp.Chunks;

/// <summary>SCTP chunk types used by WebRTC (RFC 9260 section 3.2, RFC 3758, RFC 6525).</summary>
internal enum ChunkType : byte
{
    Data = 0,
    Init = 1,
    InitAck = 2,
    Sack = 3,
    Heartbeat = 4,
    HeartbeatAck = 5,
    Abort = 6,
    Shutdown = 7,
    ShutdownAck = 8,
    Error = 9,
    CookieEcho = 10,
    CookieAck = 11,
    ShutdownComplete = 14,
    ReConfig = 130,
    ForwardTsn = 192,
}

/// <summary>What the two high bits of an unrecognized chunk or parameter type ask the receiver to do.</summary>
internal enum UnrecognizedAction
{
    /// <summary>00: stop processing this packet (or parameter list).</summary>
    Stop,
    /// <summary>01: stop processing and report it.</summary>
    StopAndReport,
    /// <summary>10: skip it and carry on.</summary>
    Skip,
    /// <summary>11: skip it, carry on and report it.</summary>
    SkipAndReport,
}

internal static class ChunkTypeExtensions
{
    public static UnrecognizedAction ActionForUnrecognized(byte type) => (UnrecognizedAction)(type >> 6);

    public static UnrecognizedAction ActionForUnrecognizedParameter(ushort type) => (UnrecognizedAction)(type >> 14);
}
