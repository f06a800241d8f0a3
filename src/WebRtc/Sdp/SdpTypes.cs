namespace WebRtc.Sdp;

/// <summary>What a session description is in the offer/answer exchange (RFC 3264), as RTCSdpType.</summary>
public enum SdpType
{
    /// <summary>An offer.</summary>
    Offer,

    /// <summary>A provisional answer.</summary>
    ProvisionalAnswer,

    /// <summary>A final answer.</summary>
    Answer,
}

/// <summary>The DTLS role an endpoint declares with <c>a=setup</c> (RFC 4145, RFC 8842).</summary>
public enum DtlsSetup
{
    /// <summary><c>actpass</c>: either role (offers only); the answerer picks.</summary>
    ActPass,

    /// <summary><c>active</c>: this endpoint is the DTLS client.</summary>
    Active,

    /// <summary><c>passive</c>: this endpoint is the DTLS server.</summary>
    Passive,
}

/// <summary>A media section of a remote description that this data-channel stack does not use (audio, video...).</summary>
/// <param name="Media">The media kind (<c>audio</c>, <c>video</c>, <c>application</c>...).</param>
/// <param name="Protocol">The transport protocol of the m-line.</param>
/// <param name="Formats">The format list of the m-line.</param>
/// <param name="Mid">Its <c>a=mid</c>, if any.</param>
/// <param name="Index">Its position among the session's m-sections (an answer must keep the order).</param>
public sealed record IgnoredMediaSection(string Media, string Protocol, string Formats, string? Mid, int Index);

/// <summary>Thrown when an SDP is malformed or lacks what a data-channel session needs.</summary>
public sealed class SdpFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SdpFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SdpFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public SdpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
