namespace Bencode;

/// <summary>Bencoded input is malformed, breaks a strictness rule, or exceeds a limit.</summary>
public sealed class BencodeException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="offset"/>.</summary>
    public BencodeException(string message, long offset)
        : base($"{message} (at byte offset {offset})") => Offset = offset;

    /// <summary>Creates the exception without a position.</summary>
    public BencodeException(string message) : base(message) => Offset = -1;

    /// <summary>Creates the exception without a position, wrapping <paramref name="innerException"/>.</summary>
    public BencodeException(string message, Exception innerException) : base(message, innerException) => Offset = -1;

    /// <summary>Creates the exception without a message.</summary>
    public BencodeException() : base("Malformed bencode.") => Offset = -1;

    /// <summary>The byte offset in the input where the problem was found, or -1 when unknown.</summary>
    public long Offset { get; }
}
