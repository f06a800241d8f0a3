using System.Buffers;
using System.Globalization;
using System.Text;
using MagnetUri;

namespace WebTorrent.Discovery;

/// <summary>A local service discovery message that cannot be read (BEP 14).</summary>
public sealed class LocalDiscoveryFormatException : FormatException
{
    /// <summary>Creates an exception.</summary>
    public LocalDiscoveryFormatException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public LocalDiscoveryFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public LocalDiscoveryFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// A BEP 14 <c>BT-SEARCH</c> message: a peer on the local network announcing the info-hashes it has on a TCP port.
/// <see cref="Parse"/> and <see cref="Write"/> are pure functions over bytes, bounded in size and in info-hashes.
/// </summary>
/// <example>
/// <code>
/// BT-SEARCH * HTTP/1.1\r\n
/// Host: 239.192.152.143:6771\r\n
/// Port: 6881\r\n
/// Infohash: c9e15763f722f23e98a29decdfae341b98d53056\r\n
/// cookie: 4d1a2b3c\r\n
/// \r\n
/// \r\n
/// </code>
/// </example>
public sealed class LsdMessage
{
    /// <summary>The longest message accepted or written: one unfragmented UDP datagram on an Ethernet link.</summary>
    public const int MaxMessageSize = 1400;

    /// <summary>The default bound on info-hashes per message.</summary>
    public const int DefaultMaxInfoHashes = 32;

    private const int MaxHeaderLines = 64;
    private static ReadOnlySpan<byte> RequestLine => "BT-SEARCH * HTTP/1.1"u8;

    /// <summary>Creates a message.</summary>
    /// <param name="host">The <c>Host</c> header: the multicast group and port, e.g. <c>239.192.152.143:6771</c>.</param>
    /// <param name="port">The TCP port the sender accepts peers on.</param>
    /// <param name="infoHashes">The 20-byte info-hashes (v1, or v2 truncated) announced.</param>
    /// <param name="cookie">A token identifying the sender, so it can ignore its own messages; null for none.</param>
    public LsdMessage(string host, int port, IReadOnlyList<InfoHash> infoHashes, string? cookie)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(infoHashes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        Host = host;
        Port = port;
        InfoHashes = infoHashes;
        Cookie = cookie;
    }

    /// <summary>The <c>Host</c> header.</summary>
    public string Host { get; }

    /// <summary>The sender's TCP port.</summary>
    public int Port { get; }

    /// <summary>The announced info-hashes (20 bytes each).</summary>
    public IReadOnlyList<InfoHash> InfoHashes { get; }

    /// <summary>The sender's cookie, or null.</summary>
    public string? Cookie { get; }

    /// <summary>Reads a message; throws <see cref="LocalDiscoveryFormatException"/> for anything that is not a valid BT-SEARCH.</summary>
    /// <param name="datagram">The datagram's bytes.</param>
    /// <param name="maxInfoHashes">The most info-hashes accepted in one message.</param>
    public static LsdMessage Parse(ReadOnlySpan<byte> datagram, int maxInfoHashes = DefaultMaxInfoHashes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInfoHashes);
        if (datagram.Length > MaxMessageSize) throw new LocalDiscoveryFormatException($"The message is {datagram.Length} bytes, over the {MaxMessageSize} limit.");
        var rest = datagram;
        if (!TryReadLine(ref rest, out var first) || !first.SequenceEqual(RequestLine))
            throw new LocalDiscoveryFormatException("Not a BT-SEARCH request.");
        string? host = null;
        string? cookie = null;
        int? port = null;
        var hashes = new List<InfoHash>();
        var lines = 0;
        var ended = false;
        Span<byte> bytes = stackalloc byte[20];
        while (TryReadLine(ref rest, out var line))
        {
            if (line.IsEmpty)
            {
                ended = true;
                break;
            }
            if (++lines > MaxHeaderLines) throw new LocalDiscoveryFormatException($"More than {MaxHeaderLines} header lines.");
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) throw new LocalDiscoveryFormatException("A header line without a name.");
            var name = line[..colon].Trim((byte)' ');
            var value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                host = ReadText(value, "Host");
            }
            else if (Ascii.EqualsIgnoreCase(name, "Port"u8))
            {
                if (port is not null) throw new LocalDiscoveryFormatException("Two Port headers.");
                if (value.Length is 0 or > 5 || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                    throw new LocalDiscoveryFormatException("The Port header is not a port number.");
                port = p;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Infohash"u8))
            {
                if (hashes.Count >= maxInfoHashes) throw new LocalDiscoveryFormatException($"More than {maxInfoHashes} info-hashes.");
                if (value.Length != 40) throw new LocalDiscoveryFormatException("An Infohash header is not 40 hex digits.");
                if (Convert.FromHexString(Encoding.ASCII.GetString(value), bytes, out _, out var written) != OperationStatus.Done || written != 20)
                    throw new LocalDiscoveryFormatException("An Infohash header is not 40 hex digits.");
                var hash = InfoHash.FromV1(bytes);
                if (!hashes.Contains(hash)) hashes.Add(hash);
            }
            else if (Ascii.EqualsIgnoreCase(name, "cookie"u8))
            {
                cookie = ReadText(value, "cookie");
            }
            // Other headers are allowed and ignored.
        }
        if (!ended) throw new LocalDiscoveryFormatException("The message does not end with an empty line.");
        if (port is null) throw new LocalDiscoveryFormatException("No Port header.");
        if (hashes.Count == 0) throw new LocalDiscoveryFormatException("No Infohash header.");
        return new LsdMessage(host ?? "", port.Value, hashes, cookie);
    }

    /// <summary>Reads a message, or returns false with the reason.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, int maxInfoHashes, out LsdMessage? message, out string? error)
    {
        try
        {
            message = Parse(datagram, maxInfoHashes);
            error = null;
            return true;
        }
        catch (LocalDiscoveryFormatException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Writes this message; throws <see cref="ArgumentException"/> when it would exceed <see cref="MaxMessageSize"/>.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = new StringBuilder(128 + (InfoHashes.Count * 52));
        text.Append("BT-SEARCH * HTTP/1.1\r\n")
            .Append("Host: ").Append(Host).Append("\r\n")
            .Append(CultureInfo.InvariantCulture, $"Port: {Port}\r\n");
        foreach (var hash in InfoHashes)
        {
            if (hash.Length != 20) throw new ArgumentException("Local discovery announces 20-byte info-hashes.", nameof(output));
            text.Append("Infohash: ").Append(hash.ToHex()).Append("\r\n");
        }
        if (Cookie is not null) text.Append("cookie: ").Append(Cookie).Append("\r\n");
        text.Append("\r\n\r\n");
        var length = Encoding.ASCII.GetByteCount(text.ToString());
        if (length > MaxMessageSize) throw new ArgumentException($"The message would be {length} bytes, over {MaxMessageSize}: announce fewer info-hashes at once.", nameof(output));
        if (Host.Any(c => c is '\r' or '\n' || c > 127) || (Cookie?.Any(c => c is '\r' or '\n' || c > 127) ?? false))
            throw new ArgumentException("Host and cookie are single-line ASCII.", nameof(output));
        var written = Encoding.ASCII.GetBytes(text.ToString(), output.GetSpan(length));
        output.Advance(written);
    }

    /// <summary>The message as bytes.</summary>
    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static string ReadText(ReadOnlySpan<byte> value, string header)
    {
        if (value.Length > 256) throw new LocalDiscoveryFormatException($"The {header} header is too long.");
        foreach (var b in value)
        {
            if (b is < 0x20 or > 0x7e) throw new LocalDiscoveryFormatException($"The {header} header is not printable ASCII.");
        }
        return Encoding.ASCII.GetString(value);
    }

    private static bool TryReadLine(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line)
    {
        if (rest.IsEmpty)
        {
            line = default;
            return false;
        }
        var newline = rest.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = rest;
            rest = default;
        }
        else
        {
            line = rest[..newline];
            rest = rest[(newline + 1)..];
        }
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        return true;
    }
}
