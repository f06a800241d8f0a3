using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WebRtc.Ice;

/// <summary>The class of a STUN message (RFC 8489 section 5).</summary>
public enum StunClass
{
    /// <summary>A request.</summary>
    Request = 0,

    /// <summary>An indication (no response).</summary>
    Indication = 1,

    /// <summary>A success response.</summary>
    SuccessResponse = 2,

    /// <summary>An error response.</summary>
    ErrorResponse = 3,
}

/// <summary>STUN methods used by ICE and TURN (RFC 8656 section 17).</summary>
public enum StunMethod
{
    /// <summary>Binding (connectivity checks, consent, server reflexive discovery).</summary>
    Binding = 0x001,

    /// <summary>TURN Allocate: asks the server for a relayed transport address.</summary>
    Allocate = 0x003,

    /// <summary>TURN Refresh: extends (or, with LIFETIME 0, deletes) an allocation.</summary>
    Refresh = 0x004,

    /// <summary>TURN Send indication: data from the client to a peer.</summary>
    Send = 0x006,

    /// <summary>TURN Data indication: data from a peer to the client.</summary>
    Data = 0x007,

    /// <summary>TURN CreatePermission: lets a peer's address reach the relay.</summary>
    CreatePermission = 0x008,

    /// <summary>TURN ChannelBind: binds a channel number to a peer for ChannelData framing.</summary>
    ChannelBind = 0x009,
}

/// <summary>STUN attribute types this stack reads or writes.</summary>
public static class StunAttributeType
{
    /// <summary>MAPPED-ADDRESS.</summary>
    public const ushort MappedAddress = 0x0001;

    /// <summary>USERNAME.</summary>
    public const ushort Username = 0x0006;

    /// <summary>MESSAGE-INTEGRITY (HMAC-SHA1).</summary>
    public const ushort MessageIntegrity = 0x0008;

    /// <summary>ERROR-CODE.</summary>
    public const ushort ErrorCode = 0x0009;

    /// <summary>UNKNOWN-ATTRIBUTES.</summary>
    public const ushort UnknownAttributes = 0x000A;

    /// <summary>REALM.</summary>
    public const ushort Realm = 0x0014;

    /// <summary>NONCE.</summary>
    public const ushort Nonce = 0x0015;

    /// <summary>MESSAGE-INTEGRITY-SHA256.</summary>
    public const ushort MessageIntegritySha256 = 0x001C;

    /// <summary>XOR-MAPPED-ADDRESS.</summary>
    public const ushort XorMappedAddress = 0x0020;

    /// <summary>PRIORITY (ICE).</summary>
    public const ushort Priority = 0x0024;

    /// <summary>USE-CANDIDATE (ICE).</summary>
    public const ushort UseCandidate = 0x0025;

    /// <summary>SOFTWARE.</summary>
    public const ushort Software = 0x8022;

    /// <summary>FINGERPRINT (CRC-32).</summary>
    public const ushort Fingerprint = 0x8028;

    /// <summary>ICE-CONTROLLED.</summary>
    public const ushort IceControlled = 0x8029;

    /// <summary>ICE-CONTROLLING.</summary>
    public const ushort IceControlling = 0x802A;
}

/// <summary>A 96-bit STUN transaction id.</summary>
public readonly record struct StunTransactionId(ulong High, uint Low)
{
    /// <summary>A new random id (cryptographically random, as RFC 8489 asks).</summary>
    public static StunTransactionId NewRandom()
    {
        Span<byte> b = stackalloc byte[12];
        RandomNumberGenerator.Fill(b);
        return Read(b);
    }

    /// <summary>Reads 12 bytes.</summary>
    public static StunTransactionId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));

    /// <summary>Writes 12 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Low);
    }
}

/// <summary>Thrown when bytes are not a well-formed STUN message.</summary>
public sealed class StunFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public StunFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StunFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public StunFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A parsed STUN message (RFC 8489) with the attributes ICE uses. Parsing checks the header, every attribute's
/// bounds and, when present, the FINGERPRINT; MESSAGE-INTEGRITY needs the key, so it is checked by
/// <see cref="VerifyMessageIntegrity"/> over the original bytes.
/// </summary>
public sealed class StunMessage
{
    /// <summary>The magic cookie every RFC 5389/8489 message carries.</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>The header length.</summary>
    public const int HeaderLength = 20;

    private const uint FingerprintXor = 0x5354554E;

    /// <summary>The class.</summary>
    public StunClass Class { get; private init; }

    /// <summary>The method.</summary>
    public StunMethod Method { get; private init; }

    /// <summary>The transaction id.</summary>
    public StunTransactionId TransactionId { get; private init; }

    /// <summary>USERNAME, if present.</summary>
    public string? Username { get; private set; }

    /// <summary>PRIORITY, if present.</summary>
    public uint? Priority { get; private set; }

    /// <summary>ICE-CONTROLLING tie-breaker, if present.</summary>
    public ulong? IceControlling { get; private set; }

    /// <summary>ICE-CONTROLLED tie-breaker, if present.</summary>
    public ulong? IceControlled { get; private set; }

    /// <summary>Whether USE-CANDIDATE is present.</summary>
    public bool UseCandidate { get; private set; }

    /// <summary>XOR-MAPPED-ADDRESS, if present.</summary>
    public IPEndPoint? XorMappedAddress { get; private set; }

    /// <summary>MAPPED-ADDRESS, if present.</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>The ERROR-CODE number (300-699), if present.</summary>
    public int? ErrorCode { get; private set; }

    /// <summary>The ERROR-CODE reason phrase.</summary>
    public string? ErrorReason { get; private set; }

    /// <summary>SOFTWARE, if present.</summary>
    public string? Software { get; private set; }

    /// <summary>Whether MESSAGE-INTEGRITY is present.</summary>
    public bool HasMessageIntegrity => MessageIntegrityOffset >= 0;

    /// <summary>Whether FINGERPRINT is present (and, since parsing succeeded, correct).</summary>
    public bool HasFingerprint { get; private set; }

    /// <summary>Comprehension-required attributes (below 0x8000) this parser does not know.</summary>
    public IReadOnlyList<ushort> UnknownComprehensionRequired { get; private set; } = [];

    /// <summary>Offset of the MESSAGE-INTEGRITY attribute header, or -1.</summary>
    internal int MessageIntegrityOffset { get; private set; } = -1;

    /// <summary>
    /// Whether <paramref name="datagram"/> looks like STUN: first byte 0-3 (RFC 7983), at least a header, the magic cookie.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength && datagram[0] < 4 && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie;

    /// <summary>Parses a STUN message, or returns false when the bytes are not a valid one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage? message)
    {
        try
        {
            message = Parse(datagram);
            return true;
        }
        catch (StunFormatException)
        {
            message = null;
            return false;
        }
    }

    /// <summary>Parses a STUN message.</summary>
    /// <exception cref="StunFormatException">Malformed header, attribute, or a FINGERPRINT that does not match.</exception>
    public static StunMessage Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength) throw new StunFormatException("Shorter than a STUN header.");
        var type = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if ((type & 0xC000) != 0) throw new StunFormatException("The two top bits of a STUN message are not zero.");
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0) throw new StunFormatException("STUN message length is not a multiple of 4.");
        if (HeaderLength + length != datagram.Length) throw new StunFormatException("STUN message length does not match the datagram.");
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie) throw new StunFormatException("No STUN magic cookie.");
        var cls = (StunClass)(((type >> 4) & 1) | ((type >> 7) & 2));
        var method = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80);
        var message = new StunMessage
        {
            Class = cls,
            Method = (StunMethod)method,
            TransactionId = StunTransactionId.Read(datagram[8..20]),
        };
        List<ushort>? unknown = null;
        var offset = HeaderLength;
        while (offset < datagram.Length)
        {
            if (offset + 4 > datagram.Length) throw new StunFormatException("Truncated STUN attribute header.");
            var attrType = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            var attrLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            var valueStart = offset + 4;
            if (valueStart + attrLength > datagram.Length) throw new StunFormatException("STUN attribute runs past the message.");
            var value = datagram.Slice(valueStart, attrLength);
            if (message.HasFingerprint) throw new StunFormatException("Attribute after FINGERPRINT.");
            if (message.MessageIntegrityOffset >= 0 && attrType != StunAttributeType.Fingerprint && attrType != StunAttributeType.MessageIntegritySha256)
            {
                // RFC 8489 section 14.5: attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored.
                offset = valueStart + ((attrLength + 3) & ~3);
                continue;
            }
            switch (attrType)
            {
                case StunAttributeType.Username:
                    if (attrLength > 513) throw new StunFormatException("USERNAME longer than 513 bytes.");
                    message.Username = Encoding.UTF8.GetString(value);
                    break;
                case StunAttributeType.Priority:
                    if (attrLength != 4) throw new StunFormatException("PRIORITY is not 4 bytes.");
                    message.Priority = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                case StunAttributeType.IceControlling:
                    if (attrLength != 8) throw new StunFormatException("ICE-CONTROLLING is not 8 bytes.");
                    message.IceControlling = BinaryPrimitives.ReadUInt64BigEndian(value);
                    break;
                case StunAttributeType.IceControlled:
                    if (attrLength != 8) throw new StunFormatException("ICE-CONTROLLED is not 8 bytes.");
                    message.IceControlled = BinaryPrimitives.ReadUInt64BigEndian(value);
                    break;
                case StunAttributeType.UseCandidate:
                    if (attrLength != 0) throw new StunFormatException("USE-CANDIDATE is not empty.");
                    message.UseCandidate = true;
                    break;
                case StunAttributeType.XorMappedAddress:
                    message.XorMappedAddress = ReadAddress(value, datagram, xor: true);
                    break;
                case StunAttributeType.MappedAddress:
                    message.MappedAddress = ReadAddress(value, datagram, xor: false);
                    break;
                case StunAttributeType.ErrorCode:
                    if (attrLength < 4 || attrLength > 763 + 4) throw new StunFormatException("Bad ERROR-CODE length.");
                    var code = ((value[2] & 0x7) * 100) + value[3];
                    if (code is < 300 or > 699) throw new StunFormatException("ERROR-CODE out of range.");
                    message.ErrorCode = code;
                    message.ErrorReason = Encoding.UTF8.GetString(value[4..]);
                    break;
                case StunAttributeType.Software:
                    if (attrLength > 763) throw new StunFormatException("SOFTWARE longer than 763 bytes.");
                    message.Software = Encoding.UTF8.GetString(value);
                    break;
                case StunAttributeType.MessageIntegrity:
                    if (attrLength != 20) throw new StunFormatException("MESSAGE-INTEGRITY is not 20 bytes.");
                    message.MessageIntegrityOffset = offset;
                    break;
                case StunAttributeType.Fingerprint:
                    if (attrLength != 4) throw new StunFormatException("FINGERPRINT is not 4 bytes.");
                    if (valueStart + 4 != datagram.Length) throw new StunFormatException("FINGERPRINT is not the last attribute.");
                    var expected = ComputeFingerprint(datagram[..offset], offset + 8 - HeaderLength);
                    if (BinaryPrimitives.ReadUInt32BigEndian(value) != expected) throw new StunFormatException("FINGERPRINT does not match.");
                    message.HasFingerprint = true;
                    break;
                default:
                    if (attrType < 0x8000) (unknown ??= []).Add(attrType);
                    break;
            }
            offset = valueStart + ((attrLength + 3) & ~3);
        }
        if (offset != datagram.Length) throw new StunFormatException("STUN attribute padding runs past the message.");
        if (unknown is not null) message.UnknownComprehensionRequired = unknown;
        return message;
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY over <paramref name="datagram"/> (the bytes this message was parsed from) with
    /// <paramref name="key"/> (for ICE's short-term credentials: the UTF-8 password). False when absent or wrong.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key)
    {
        if (MessageIntegrityOffset < 0 || MessageIntegrityOffset + 24 > datagram.Length) return false;
        Span<byte> mac = stackalloc byte[20];
        ComputeMessageIntegrity(datagram[..MessageIntegrityOffset], key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, datagram.Slice(MessageIntegrityOffset + 4, 20));
    }

    /// <summary>HMAC-SHA1 over <paramref name="prefix"/> with its length field covering a MESSAGE-INTEGRITY at its end.</summary>
    internal static void ComputeMessageIntegrity(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        byte[]? rented = null;
        var copy = prefix.Length <= 1024 ? stackalloc byte[prefix.Length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(prefix.Length)).AsSpan(0, prefix.Length);
        prefix.CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)(prefix.Length + 24 - HeaderLength));
#pragma warning disable CA5350 // HMAC-SHA1 is what STUN MESSAGE-INTEGRITY is.
        HMACSHA1.HashData(key, copy, mac);
#pragma warning restore CA5350
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>The FINGERPRINT value of <paramref name="prefix"/> whose header length is set to <paramref name="lengthField"/>.</summary>
    internal static uint ComputeFingerprint(ReadOnlySpan<byte> prefix, int lengthField)
    {
        Span<byte> header = stackalloc byte[4];
        prefix[..4].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)lengthField);
        var crc = Crc32.Append(0, header);
        crc = Crc32.Append(crc, prefix[4..]);
        return crc ^ FingerprintXor;
    }

    /// <summary>Reads a (XOR-)MAPPED-ADDRESS-shaped value; <paramref name="message"/> supplies the cookie and transaction id.</summary>
    internal static IPEndPoint ReadAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> message, bool xor)
    {
        if (value.Length < 4) throw new StunFormatException("Truncated address attribute.");
        var family = value[1];
        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (xor) port ^= (ushort)(MagicCookie >> 16);
        Span<byte> address = stackalloc byte[16];
        int size;
        if (family == 1 && value.Length == 8) size = 4;
        else if (family == 2 && value.Length == 20) size = 16;
        else throw new StunFormatException("Bad address family or length.");
        value.Slice(4, size).CopyTo(address);
        if (xor)
        {
            for (var i = 0; i < size; i++) address[i] ^= message[4 + i]; // cookie then transaction id
        }
        return new IPEndPoint(new IPAddress(address[..size]), port);
    }
}

/// <summary>
/// Writes a STUN message into a caller-provided buffer, attribute by attribute, without allocating.
/// Add MESSAGE-INTEGRITY and then FINGERPRINT last.
/// </summary>
public ref struct StunMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    /// <summary>Starts a message of <paramref name="cls"/> and <paramref name="method"/> in <paramref name="buffer"/>.</summary>
    public StunMessageWriter(Span<byte> buffer, StunClass cls, StunMethod method, StunTransactionId transactionId)
    {
        if (buffer.Length < StunMessage.HeaderLength) throw new ArgumentException("Buffer shorter than a STUN header.", nameof(buffer));
        _buffer = buffer;
        var m = (int)method;
        var c = (int)cls;
        var type = (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.Write(buffer[8..]);
        _length = StunMessage.HeaderLength;
    }

    /// <summary>The bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The message written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>Adds USERNAME.</summary>
    public void AddUsername(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        var count = Encoding.UTF8.GetByteCount(username);
        var value = Begin(StunAttributeType.Username, count);
        Encoding.UTF8.GetBytes(username, value);
        End(count);
    }

    /// <summary>Adds PRIORITY.</summary>
    public void AddPriority(uint priority)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Begin(StunAttributeType.Priority, 4), priority);
        End(4);
    }

    /// <summary>Adds ICE-CONTROLLING with the tie-breaker.</summary>
    public void AddIceControlling(ulong tieBreaker)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Begin(StunAttributeType.IceControlling, 8), tieBreaker);
        End(8);
    }

    /// <summary>Adds ICE-CONTROLLED with the tie-breaker.</summary>
    public void AddIceControlled(ulong tieBreaker)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Begin(StunAttributeType.IceControlled, 8), tieBreaker);
        End(8);
    }

    /// <summary>Adds USE-CANDIDATE.</summary>
    public void AddUseCandidate()
    {
        Begin(StunAttributeType.UseCandidate, 0);
        End(0);
    }

    /// <summary>Adds SOFTWARE.</summary>
    public void AddSoftware(string software)
    {
        ArgumentNullException.ThrowIfNull(software);
        var count = Encoding.UTF8.GetByteCount(software);
        Encoding.UTF8.GetBytes(software, Begin(StunAttributeType.Software, count));
        End(count);
    }

    /// <summary>Adds XOR-MAPPED-ADDRESS.</summary>
    public void AddXorMappedAddress(IPEndPoint endPoint) => AddXorAddress(StunAttributeType.XorMappedAddress, endPoint);

    /// <summary>Adds an attribute of type <paramref name="type"/> with <paramref name="value"/> (padding is added).</summary>
    public void AddAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(Begin(type, value.Length));
        End(value.Length);
    }

    /// <summary>Adds a UTF-8 text attribute (REALM, NONCE...).</summary>
    public void AddText(ushort type, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var count = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, Begin(type, count));
        End(count);
    }

    /// <summary>Adds an address attribute XOR-ed as XOR-MAPPED-ADDRESS is (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS...).</summary>
    public void AddXorAddress(ushort type, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        var size = v6 ? 16 : 4;
        var value = Begin(type, 4 + size);
        value[0] = 0;
        value[1] = (byte)(v6 ? 2 : 1);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(endPoint.Port ^ (int)(StunMessage.MagicCookie >> 16)));
        endPoint.Address.TryWriteBytes(value[4..], out _);
        for (var i = 0; i < size; i++) value[4 + i] ^= _buffer[4 + i];
        End(4 + size);
    }

    /// <summary>Adds ERROR-CODE.</summary>
    public void AddErrorCode(int code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, 699);
        var count = 4 + Encoding.UTF8.GetByteCount(reason);
        var value = Begin(StunAttributeType.ErrorCode, count);
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
        End(count);
    }

    /// <summary>Adds MESSAGE-INTEGRITY (HMAC-SHA1 with <paramref name="key"/>).</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        var start = _length;
        var value = Begin(StunAttributeType.MessageIntegrity, 20);
        StunMessage.ComputeMessageIntegrity(_buffer[..start], key, value);
        End(20);
    }

    /// <summary>Adds FINGERPRINT; must be last.</summary>
    public void AddFingerprint()
    {
        var start = _length;
        var value = Begin(StunAttributeType.Fingerprint, 4);
        BinaryPrimitives.WriteUInt32BigEndian(value, StunMessage.ComputeFingerprint(_buffer[..start], start + 8 - StunMessage.HeaderLength));
        End(4);
    }

    private readonly Span<byte> Begin(ushort type, int length)
    {
        var padded = (length + 3) & ~3;
        if (_length + 4 + padded > _buffer.Length) throw new ArgumentException("The STUN buffer is too small.");
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)length);
        return _buffer.Slice(_length + 4, length);
    }

    private void End(int length)
    {
        var padded = (length + 3) & ~3;
        _buffer.Slice(_length + 4 + length, padded - length).Clear();
        _length += 4 + padded;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderLength));
    }
}
