namespace MagnetUri;

/// <summary>
/// Thrown when a magnet link is malformed. <see cref="Parameter"/> names the offending parameter
/// (for example <c>xt</c> or <c>x.pe</c>), or is <see langword="null"/> when the link as a whole is at fault
/// (wrong scheme, too long).
/// </summary>
public sealed class MagnetUriFormatException : FormatException
{
    /// <summary>Creates an exception with a default message.</summary>
    public MagnetUriFormatException()
        : base("The magnet link is malformed.")
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/>.</summary>
    public MagnetUriFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/> and the exception that caused it.</summary>
    public MagnetUriFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception about the parameter named <paramref name="parameter"/>.</summary>
    public MagnetUriFormatException(string message, string? parameter)
        : base(parameter is null ? message : $"{message} (parameter '{parameter}')")
    {
        Parameter = parameter;
    }

    /// <summary>The magnet parameter at fault (<c>xt</c>, <c>dn</c>, <c>tr</c>, <c>x.pe</c>...), or <see langword="null"/> for the link as a whole.</summary>
    public string? Parameter { get; }
}
