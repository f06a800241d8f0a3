namespace WebRtc.Ice.Turn;

/// <summary>Thrown when a TURN request fails: an error response, an unauthenticated answer, or no answer.</summary>
public sealed class TurnException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TurnException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TurnException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TurnException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an error response.</summary>
    public TurnException(int errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The STUN error code of the server's error response (for example 437 Allocation Mismatch), if any.</summary>
    public int? ErrorCode { get; }
}
