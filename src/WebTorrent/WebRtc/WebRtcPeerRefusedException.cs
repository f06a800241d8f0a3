namespace WebTorrent.WebRtc;

/// <summary>
/// A WebRTC offer or answer was refused before any connection was created: a limit of <see cref="WebRtcPeerOptions"/> was
/// reached, the torrent is not running, or the session description is malformed.
/// </summary>
public sealed class WebRtcPeerRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WebRtcPeerRefusedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WebRtcPeerRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public WebRtcPeerRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
