namespace WebRtc.Sctp.Chunks;

/// <summary>COOKIE-ECHO (RFC 9260 section 3.3.11): the state cookie of the INIT-ACK, returned verbatim.</summary>
internal static class CookieEchoChunk
{
    /// <summary>Padded length of a COOKIE-ECHO carrying <paramref name="cookieLength"/> bytes.</summary>
    public static int SerializedLength(int cookieLength) => SctpPacket.Pad4(SctpPacket.ChunkHeaderLength + cookieLength);

    /// <summary>Writes a COOKIE-ECHO and returns its padded length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> cookie)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ChunkType.CookieEcho, 0, cookie.Length);
        cookie.CopyTo(destination[SctpPacket.ChunkHeaderLength..]);
        return padded;
    }
}
