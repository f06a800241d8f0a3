using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WebRtc.Dtls;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace SdpCompress;

/// <summary>
/// Compresses a WebRTC data-channel description to the few dozen bytes that matter (type, DTLS role, ICE
/// credentials, fingerprint, candidates, SCTP port, max message size) and expands it back into an SDP browsers
/// accept. A Chromium offer with one to four candidates takes 70 to 90 bytes (its SDP: about 600).
/// </summary>
/// <remarks>
/// Not kept: candidate foundations, priorities (rebuilt from type and order), extension attributes
/// (<c>generation</c>, <c>network-cost</c>), TCP candidates, session ids and ignored media sections.
/// Format version 1, all integers big-endian:
/// <code>
/// header   : version(3) | answer(1) | setup(2) | extras(1) | end-of-candidates(1)
/// ufrag    : ice-string        pwd : ice-string
/// extras?  : flags(1) [sctp-port u16] [max-message-size varint] [fingerprint algorithm: len(1) ascii]
/// digest   : 32 bytes (sha-256), or len(1) bytes with a non-default algorithm
/// count(1) : then per candidate: type(2) | address kind(3) | has-related(1); address; port u16;
///            [related: kind(1) then address and port, or kind 4 and the index of an earlier host candidate, or kind 5 (0.0.0.0:0)]
/// ice-string: len(1) with bit 7 = raw; packed 6 bits per character from the ice-char alphabet, else raw bytes
/// address  : IPv4 4 bytes | IPv6 16 bytes | mDNS UUID 16 bytes (&lt;uuid&gt;.local) | name: len(1) ascii
/// </code>
/// </remarks>
public static class SdpCompressor
{
    private const int Version = 1;
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private const int MaxEncodedLength = 4096;
    private const byte RelatedIsCandidate = 4;
    private const byte RelatedIsUnspecified = 5;

    /// <summary>RFC 4566 token-char: visible ASCII but for space and <c>"(),/:;&lt;=&gt;?@[\]</c>.</summary>
    private static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>
    /// What a raw ICE credential may hold: RFC 8839's ice-char (letters, digits, <c>+</c>, <c>/</c>) and, to stay
    /// lenient with peers that stray from it, token chars; never a space, control character or non-ASCII byte.
    /// </summary>
    private static readonly SearchValues<byte> CredentialChars =
        SearchValues.Create("!#$%&'*+-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>Compresses <paramref name="description"/> to bytes.</summary>
    /// <exception cref="SdpCompressException">Something in it cannot be represented (e.g. a 200-character ufrag).</exception>
    public static byte[] Compress(SessionDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var writer = new ArrayBufferWriter<byte>(128);
        Write(description, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Compresses to base64url text (no padding), to carry in a URL, a QR code or a chat message.</summary>
    public static string CompressToString(SessionDescription description) => Base64Url(Compress(description));

    /// <summary>Compresses SDP text.</summary>
    public static string CompressToString(string sdp, SdpType type) => CompressToString(SessionDescription.Parse(sdp, type));

    /// <summary>Expands base64url text made by <see cref="CompressToString(SessionDescription)"/>.</summary>
    /// <exception cref="SdpCompressException">Not a valid compressed description.</exception>
    public static SessionDescription Expand(string compressed)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        if (compressed.Length > MaxEncodedLength * 2) throw new SdpCompressException("Compressed description too long.");
        byte[] bytes;
        try
        {
            var s = compressed.Trim().Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
            bytes = Convert.FromBase64String(s);
        }
        catch (FormatException e)
        {
            throw new SdpCompressException("Not base64url text.", e);
        }
        return Expand(bytes);
    }

    /// <summary>Expands bytes made by <see cref="Compress"/> into a description (its <c>ToString()</c> is the SDP).</summary>
    /// <exception cref="SdpCompressException">Not a valid compressed description.</exception>
    public static SessionDescription Expand(ReadOnlySpan<byte> compressed)
    {
        if (compressed.Length > MaxEncodedLength) throw new SdpCompressException("Compressed description too long.");
        var r = new Reader(compressed);
        var header = r.Byte();
        if (header >> 5 != Version) throw new SdpCompressException($"Unknown compressed SDP version {header >> 5}.");
        var type = (header & 0x10) != 0 ? SdpType.Answer : SdpType.Offer;
        var setup = ((header >> 2) & 3) switch
        {
            0 => DtlsSetup.ActPass,
            1 => DtlsSetup.Active,
            2 => DtlsSetup.Passive,
            _ => throw new SdpCompressException("Bad DTLS setup role."),
        };
        var hasExtras = (header & 2) != 0;
        var endOfCandidates = (header & 1) != 0;
        var ufrag = r.IceString();
        var pwd = r.IceString();
        var sctpPort = SessionDescription.DefaultSctpPort;
        long maxMessageSize = 262144;
        var algorithm = "sha-256";
        var digestLength = 32;
        if (hasExtras)
        {
            var flags = r.Byte();
            if ((flags & 1) != 0) sctpPort = r.UInt16();
            if ((flags & 2) != 0) maxMessageSize = (long)r.VarInt();
            if ((flags & 4) != 0)
            {
                algorithm = r.Token();
                digestLength = r.Byte();
            }
        }
        var digest = r.Bytes(digestLength);
        if (digest.Length == 0) throw new SdpCompressException("Empty fingerprint.");
        var count = r.Byte();
        var candidates = new List<IceCandidate>(count);
        for (var i = 0; i < count; i++)
        {
            var h = r.Byte();
            var candidateType = (IceCandidateType)(h & 3);
            var address = r.Address((h >> 2) & 7);
            var port = r.UInt16();
            string? relatedAddress = null;
            int? relatedPort = null;
            if ((h & 0x20) != 0)
            {
                var relatedKind = r.Byte();
                if (relatedKind == RelatedIsCandidate)
                {
                    var index = r.Byte();
                    if (index >= candidates.Count) throw new SdpCompressException("Related address refers to a later candidate.");
                    relatedAddress = candidates[index].Address;
                    relatedPort = candidates[index].Port;
                }
                else if (relatedKind == RelatedIsUnspecified)
                {
                    relatedAddress = "0.0.0.0";
                    relatedPort = 0;
                }
                else
                {
                    relatedAddress = r.Address(relatedKind);
                    relatedPort = r.UInt16();
                }
            }
            candidates.Add(new IceCandidate
            {
                Foundation = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Priority = IceCandidate.ComputePriority(candidateType, 65535 - i),
                Address = address,
                Port = port,
                Type = candidateType,
                RelatedAddress = relatedAddress,
                RelatedPort = relatedPort,
            });
        }
        if (!r.AtEnd) throw new SdpCompressException("Trailing bytes after the compressed description.");
        CertificateFingerprint fingerprint;
        try
        {
            fingerprint = new CertificateFingerprint(algorithm, digest);
        }
        catch (ArgumentException e)
        {
            throw new SdpCompressException("Bad fingerprint.", e);
        }
        return new SessionDescription
        {
            Type = type,
            SessionId = (ulong)Random.Shared.NextInt64(1, long.MaxValue),
            IceUsernameFragment = ufrag,
            IcePassword = pwd,
            IceOptions = ["trickle"],
            Fingerprints = [fingerprint],
            Setup = setup,
            Mid = "0",
            SctpPort = sctpPort,
            MaxMessageSize = maxMessageSize,
            Candidates = candidates,
            EndOfCandidates = endOfCandidates,
        };
    }

    private static void Write(SessionDescription d, ArrayBufferWriter<byte> w)
    {
        var fingerprint = d.PreferredFingerprint;
        var defaultFingerprint = fingerprint.Algorithm == "sha-256" && fingerprint.Digest.Length == 32;
        var extras = (d.SctpPort != SessionDescription.DefaultSctpPort ? 1 : 0)
            | (d.MaxMessageSize != 262144 ? 2 : 0)
            | (defaultFingerprint ? 0 : 4);
        if (d.Type == SdpType.ProvisionalAnswer) throw new SdpCompressException("Provisional answers are not compressed.");
        var setup = d.Setup switch { DtlsSetup.ActPass => 0, DtlsSetup.Active => 1, _ => 2 };
        Put(w, (byte)((Version << 5) | (d.Type == SdpType.Answer ? 0x10 : 0) | (setup << 2) | (extras != 0 ? 2 : 0) | (d.EndOfCandidates ? 1 : 0)));
        PutIceString(w, d.IceUsernameFragment);
        PutIceString(w, d.IcePassword);
        if (extras != 0)
        {
            Put(w, (byte)extras);
            if ((extras & 1) != 0) PutUInt16(w, d.SctpPort);
            if ((extras & 2) != 0) PutVarInt(w, (ulong)Math.Max(0, d.MaxMessageSize));
            if ((extras & 4) != 0)
            {
                var alg = Encoding.UTF8.GetBytes(fingerprint.Algorithm);
                if (alg.Length > 255 || fingerprint.Digest.Length > 255) throw new SdpCompressException("Fingerprint too long.");
                if (alg.AsSpan().IndexOfAnyExcept(TokenChars) >= 0)
                    throw new SdpCompressException("Fingerprint algorithm holds a character that is not a token char.");
                Put(w, (byte)alg.Length);
                w.Write(alg);
                Put(w, (byte)fingerprint.Digest.Length);
            }
        }
        w.Write(fingerprint.Digest.Span);
        var usable = d.Candidates.Where(c => c.Protocol == "udp" && c.Component == 1).ToList();
        if (usable.Count > 255) throw new SdpCompressException("More than 255 candidates.");
        Put(w, (byte)usable.Count);
        foreach (var c in usable)
        {
            var hasRelated = c.RelatedAddress is not null && c.RelatedPort is not null && c.Type != IceCandidateType.Host;
            var kind = AddressKind(c.Address);
            Put(w, (byte)((int)c.Type | (kind << 2) | (hasRelated ? 0x20 : 0)));
            PutAddress(w, kind, c.Address);
            PutUInt16(w, c.Port);
            if (hasRelated)
            {
                var index = usable.FindIndex(o => o.Type == IceCandidateType.Host && o.Address == c.RelatedAddress && o.Port == c.RelatedPort);
                if (index >= 0)
                {
                    // The usual case: the related address is one of our host candidates.
                    Put(w, RelatedIsCandidate);
                    Put(w, (byte)index);
                }
                else if (c.RelatedAddress is "0.0.0.0" or "::" && c.RelatedPort == 0)
                {
                    Put(w, RelatedIsUnspecified); // browsers hide the base address this way
                }
                else
                {
                    var rk = AddressKind(c.RelatedAddress!);
                    Put(w, (byte)rk);
                    PutAddress(w, rk, c.RelatedAddress!);
                    PutUInt16(w, c.RelatedPort!.Value);
                }
            }
        }
    }

    private static int AddressKind(string address)
    {
        if (IPAddress.TryParse(address, out var ip)) return ip.AddressFamily == AddressFamily.InterNetwork ? 0 : 1;
        if (address.EndsWith(".local", StringComparison.OrdinalIgnoreCase) && Guid.TryParseExact(address[..^6], "D", out _)) return 2;
        return 3;
    }

    private static void PutAddress(ArrayBufferWriter<byte> w, int kind, string address)
    {
        switch (kind)
        {
            case 0:
            case 1:
                var ip = IPAddress.Parse(address);
                var span = w.GetSpan(16);
                ip.TryWriteBytes(span, out var written);
                w.Advance(written);
                break;
            case 2:
                var guid = Guid.ParseExact(address[..^6], "D");
                guid.TryWriteBytes(w.GetSpan(16), bigEndian: true, out _);
                w.Advance(16);
                break;
            default:
                var bytes = Encoding.ASCII.GetBytes(address);
                if (bytes.Length > 255) throw new SdpCompressException("Candidate host name too long.");
                Put(w, (byte)bytes.Length);
                w.Write(bytes);
                break;
        }
    }

    private static void PutIceString(ArrayBufferWriter<byte> w, string s)
    {
        if (s.Length > 127) throw new SdpCompressException("ICE credential longer than 127 characters.");
        if (s.All(c => IceChars.Contains(c, StringComparison.Ordinal)))
        {
            Put(w, (byte)s.Length);
            var packed = w.GetSpan(((s.Length * 6) + 7) / 8);
            var bits = 0;
            var acc = 0;
            var n = 0;
            foreach (var c in s)
            {
                acc = (acc << 6) | IceChars.IndexOf(c, StringComparison.Ordinal);
                bits += 6;
                while (bits >= 8)
                {
                    bits -= 8;
                    packed[n++] = (byte)(acc >> bits);
                }
            }
            if (bits > 0) packed[n++] = (byte)(acc << (8 - bits));
            w.Advance(n);
        }
        else
        {
            var raw = Encoding.UTF8.GetBytes(s);
            if (raw.Length > 127) throw new SdpCompressException("ICE credential longer than 127 bytes.");
            if (raw.AsSpan().IndexOfAnyExcept(CredentialChars) >= 0)
                throw new SdpCompressException("ICE credential holds a character that is neither an ice-char nor a token char.");
            Put(w, (byte)(0x80 | raw.Length));
            w.Write(raw);
        }
    }

    private static void Put(ArrayBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    private static void PutUInt16(ArrayBufferWriter<byte> w, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), (ushort)value);
        w.Advance(2);
    }

    private static void PutVarInt(ArrayBufferWriter<byte> w, ulong value)
    {
        while (value >= 0x80)
        {
            Put(w, (byte)(value | 0x80));
            value >>= 7;
        }
        Put(w, (byte)value);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _offset;

        public readonly bool AtEnd => _offset == _data.Length;

        public byte Byte()
        {
            if (_offset >= _data.Length) throw new SdpCompressException("Truncated compressed description.");
            return _data[_offset++];
        }

        public int UInt16() => (Byte() << 8) | Byte();

        public ulong VarInt()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new SdpCompressException("Varint too long.");
        }

        public byte[] Bytes(int count)
        {
            if (_offset + count > _data.Length) throw new SdpCompressException("Truncated compressed description.");
            var result = _data.Slice(_offset, count).ToArray();
            _offset += count;
            return result;
        }

        public string IceString()
        {
            var len = Byte();
            if ((len & 0x80) != 0)
            {
                var raw = Bytes(len & 0x7F);
                if (raw.Length == 0) throw new SdpCompressException("Empty ICE credential.");
                // Expanded into a=ice-ufrag/a=ice-pwd lines: a CR, LF or space would let the sender write SDP lines.
                if (raw.AsSpan().IndexOfAnyExcept(CredentialChars) >= 0)
                    throw new SdpCompressException("ICE credential holds a character that is neither an ice-char nor a token char.");
                return Encoding.ASCII.GetString(raw);
            }
            if (len == 0) throw new SdpCompressException("Empty ICE credential.");
            var packed = Bytes(((len * 6) + 7) / 8);
            var chars = new char[len];
            var acc = 0;
            var bits = 0;
            var p = 0;
            for (var i = 0; i < len; i++)
            {
                while (bits < 6)
                {
                    acc = (acc << 8) | packed[p++];
                    bits += 8;
                }
                bits -= 6;
                chars[i] = IceChars[(acc >> bits) & 63];
            }
            return new string(chars);
        }

        /// <summary>A length-prefixed SDP token (RFC 4566 token-char), such as a fingerprint's hash function.</summary>
        public string Token()
        {
            var raw = Bytes(Byte());
            if (raw.Length == 0 || raw.AsSpan().IndexOfAnyExcept(TokenChars) >= 0)
                throw new SdpCompressException("Fingerprint algorithm is empty or holds a character that is not a token char.");
            return Encoding.ASCII.GetString(raw);
        }

        public string Address(int kind)
        {
            switch (kind)
            {
                case 0: return new IPAddress(Bytes(4)).ToString();
                case 1: return new IPAddress(Bytes(16)).ToString();
                case 2: return new Guid(Bytes(16), bigEndian: true).ToString("D") + ".local";
                case 3:
                    var name = Encoding.ASCII.GetString(Bytes(Byte()));
                    if (name.Length == 0 || name.Any(c => c <= ' ' || c > '~')) throw new SdpCompressException("Bad candidate host name.");
                    return name;
                default: throw new SdpCompressException("Unknown candidate address kind.");
            }
        }
    }
}

/// <summary>Thrown when bytes are not a compressed description, or a description cannot be compressed.</summary>
public sealed class SdpCompressException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SdpCompressException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SdpCompressException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SdpCompressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
