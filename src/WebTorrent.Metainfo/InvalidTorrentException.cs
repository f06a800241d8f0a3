namespace WebTorrent.Metainfo;

/// <summary>
/// A .torrent file (or info dictionary) is malformed, misses a required field, breaks a limit, or names a file
/// path that is unsafe to write. <see cref="Field"/> says where, e.g. <c>info.files[3].path</c>.
/// </summary>
public sealed class InvalidTorrentException : FormatException
{
    /// <summary>Creates the exception for a problem with <paramref name="field"/>.</summary>
    public InvalidTorrentException(string field, string message)
        : base(field.Length == 0 ? message : $"{field}: {message}") => Field = field;

    /// <summary>Creates the exception for a problem with <paramref name="field"/>, wrapping <paramref name="innerException"/>.</summary>
    public InvalidTorrentException(string field, string message, Exception innerException)
        : base(field.Length == 0 ? message : $"{field}: {message}", innerException) => Field = field;

    /// <summary>Creates the exception with a message.</summary>
    public InvalidTorrentException(string message) : base(message) => Field = "";

    /// <summary>Creates the exception with a message and a cause.</summary>
    public InvalidTorrentException(string message, Exception innerException) : base(message, innerException) => Field = "";

    /// <summary>Creates the exception without a message.</summary>
    public InvalidTorrentException() : base("Invalid torrent.") => Field = "";

    /// <summary>The field at fault (dotted path into the torrent), or empty when the whole input is at fault.</summary>
    public string Field { get; }
}
