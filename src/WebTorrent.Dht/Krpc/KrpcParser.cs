using Bencode;

namespace WebTorrent.Dht.Krpc;

/// <summary>Why a datagram is not a usable KRPC message.</summary>
public enum KrpcParseError : byte
{
    /// <summary>Parsed.</summary>
    None,

    /// <summary>Not bencode, not a dictionary, or bytes after it.</summary>
    Malformed,

    /// <summary>Bencode, but a required key (<c>t</c>, <c>y</c>, <c>q</c>, <c>a</c>, <c>r</c>, <c>id</c>) is missing or mistyped.</summary>
    MissingField,
}

/// <summary>
/// Parses KRPC messages (BEP 5) zero-copy from a datagram. Pure: no I/O, no allocation, and never throws on bad
/// input: it returns false with a <see cref="KrpcParseError"/>, and the transaction id when one was read, so a
/// query can still be answered with error 203.
/// </summary>
public static class KrpcParser
{
    /// <summary>The bencode limits used for KRPC: unsorted keys tolerated (some clients), depth 8, strings up to one datagram.</summary>
    public static BencodeReaderOptions ReaderOptions { get; } = new()
    {
        RequireSortedKeys = false,
        RejectLeadingZeros = false,
        MaxDepth = 8,
        MaxStringLength = 65_536,
    };

    /// <summary>Parses <paramref name="datagram"/> into <paramref name="message"/>.</summary>
    /// <returns>True when the message is complete enough to act on.</returns>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out KrpcMessage message, out KrpcParseError error)
    {
        message = default;
        try
        {
            error = ParseCore(datagram, ref message);
        }
        catch (BencodeException)
        {
            error = KrpcParseError.Malformed;
        }
        return error == KrpcParseError.None;
    }

    /// <summary>Enumerates the byte strings of a raw bencoded list (e.g. <see cref="KrpcMessage.Values"/>); stops at anything else.</summary>
    public static StringListEnumerator EnumerateStrings(ReadOnlySpan<byte> rawList) => new(rawList);

    private static KrpcParseError ParseCore(ReadOnlySpan<byte> datagram, ref KrpcMessage message)
    {
        var reader = new BencodeReader(datagram, ReaderOptions);
        if (!reader.Read() || reader.TokenType != BencodeTokenType.DictionaryStart) return KrpcParseError.Malformed;
        var hasType = false;
        var hasBody = false;
        var bodyIsArguments = false;
        while (reader.Read() && reader.TokenType == BencodeTokenType.String)
        {
            var key = reader.ValueSpan;
            reader.Read();
            var token = reader.TokenType;
            if (key.Length == 1)
            {
                switch (key[0])
                {
                    case (byte)'t' when token == BencodeTokenType.String:
                        message.TransactionId = reader.ValueSpan;
                        continue;
                    case (byte)'y' when token == BencodeTokenType.String:
                        var y = reader.ValueSpan;
                        if (y.Length != 1) return KrpcParseError.MissingField;
                        switch (y[0])
                        {
                            case (byte)'q': message.Type = KrpcMessageType.Query; break;
                            case (byte)'r': message.Type = KrpcMessageType.Response; break;
                            case (byte)'e': message.Type = KrpcMessageType.Error; break;
                            default: return KrpcParseError.MissingField;
                        }
                        hasType = true;
                        continue;
                    case (byte)'q' when token == BencodeTokenType.String:
                        message.QueryName = reader.ValueSpan;
                        message.Query = Classify(message.QueryName);
                        continue;
                    case (byte)'v' when token == BencodeTokenType.String:
                        message.ClientVersion = reader.ValueSpan;
                        continue;
                    case (byte)'a' or (byte)'r' when token == BencodeTokenType.DictionaryStart:
                        // Read the body in the same pass: one walk over the datagram.
                        ReadBody(ref reader, ref message);
                        bodyIsArguments = key[0] == (byte)'a';
                        hasBody = true;
                        continue;
                    case (byte)'e' when token == BencodeTokenType.ListStart:
                        ReadError(ref reader, ref message);
                        continue;
                }
            }
            else if (key.SequenceEqual("ip"u8) && token == BencodeTokenType.String)
            {
                message.ExternalAddress = reader.ValueSpan;
                continue;
            }
            else if (key.SequenceEqual("ro"u8) && token == BencodeTokenType.Integer)
            {
                message.ReadOnlyNode = reader.GetInt64() == 1;
                continue;
            }
            reader.SkipValue();
        }
        if (reader.Position != datagram.Length) return KrpcParseError.Malformed;
        if (!hasType || message.TransactionId.IsEmpty) return KrpcParseError.MissingField;
        switch (message.Type)
        {
            case KrpcMessageType.Query:
                if (message.QueryName.IsEmpty || !hasBody || !bodyIsArguments) return KrpcParseError.MissingField;
                break;
            case KrpcMessageType.Response:
                if (!hasBody || bodyIsArguments) return KrpcParseError.MissingField;
                break;
            case KrpcMessageType.Error:
                return KrpcParseError.None;
        }
        return message.Id.Length == NodeId.Size ? KrpcParseError.None : KrpcParseError.MissingField;
    }

    private static void ReadError(ref BencodeReader reader, ref KrpcMessage message)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != BencodeTokenType.End)
        {
            if (index == 0 && reader.TokenType == BencodeTokenType.Integer) message.ErrorCode = reader.GetInt64();
            else if (index == 1 && reader.TokenType == BencodeTokenType.String) message.ErrorMessage = reader.ValueSpan;
            else reader.SkipValue();
            index++;
        }
    }

    private static void ReadBody(ref BencodeReader reader, ref KrpcMessage message)
    {
        while (reader.Read() && reader.TokenType == BencodeTokenType.String)
        {
            var key = reader.ValueSpan;
            reader.Read();
            var token = reader.TokenType;
            if (token == BencodeTokenType.String)
            {
                var value = reader.ValueSpan;
                if (key.SequenceEqual("id"u8)) message.Id = value;
                else if (key.SequenceEqual("target"u8)) message.Target = value;
                else if (key.SequenceEqual("info_hash"u8)) message.InfoHash = value;
                else if (key.SequenceEqual("token"u8)) message.Token = value;
                else if (key.SequenceEqual("nodes"u8)) message.Nodes = value;
                else if (key.SequenceEqual("nodes6"u8)) message.Nodes6 = value;
                else if (key.SequenceEqual("k"u8)) message.PublicKey = value;
                else if (key.SequenceEqual("sig"u8)) message.Signature = value;
                else if (key.SequenceEqual("salt"u8)) message.Salt = value;
                else if (key.SequenceEqual("BFsd"u8)) message.BloomSeeds = value;
                else if (key.SequenceEqual("BFpe"u8)) message.BloomPeers = value;
                else if (key.SequenceEqual("v"u8)) message.Value = reader.SkipValue();
            }
            else if (token == BencodeTokenType.Integer)
            {
                var value = reader.GetInt64();
                if (key.SequenceEqual("port"u8)) { message.Port = value; message.HasPort = true; }
                else if (key.SequenceEqual("implied_port"u8)) message.ImpliedPort = value != 0;
                else if (key.SequenceEqual("seq"u8)) { message.Sequence = value; message.HasSequence = true; }
                else if (key.SequenceEqual("cas"u8)) { message.CompareAndSwap = value; message.HasCompareAndSwap = true; }
                else if (key.SequenceEqual("scrape"u8)) message.Scrape = value != 0;
                else if (key.SequenceEqual("noseed"u8)) message.NoSeed = value != 0;
                else if (key.SequenceEqual("seed"u8)) message.Seed = value != 0;
                else if (key.SequenceEqual("v"u8)) message.Value = reader.TokenSpan;
            }
            else if (key.SequenceEqual("values"u8) && token == BencodeTokenType.ListStart)
            {
                message.Values = reader.SkipValue();
            }
            else if (key.SequenceEqual("want"u8) && token == BencodeTokenType.ListStart)
            {
                while (reader.Read() && reader.TokenType != BencodeTokenType.End)
                {
                    if (reader.TokenType == BencodeTokenType.String)
                    {
                        if (reader.ValueTextEquals("n4"u8)) message.Want |= KrpcWant.Nodes4;
                        else if (reader.ValueTextEquals("n6"u8)) message.Want |= KrpcWant.Nodes6;
                    }
                    else
                    {
                        reader.SkipValue();
                    }
                }
            }
            else if (key.SequenceEqual("v"u8))
            {
                message.Value = reader.SkipValue();
            }
            else
            {
                reader.SkipValue();
            }
        }
    }

    private static KrpcQueryType Classify(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("ping"u8) => KrpcQueryType.Ping,
        _ when name.SequenceEqual("find_node"u8) => KrpcQueryType.FindNode,
        _ when name.SequenceEqual("get_peers"u8) => KrpcQueryType.GetPeers,
        _ when name.SequenceEqual("announce_peer"u8) => KrpcQueryType.AnnouncePeer,
        _ when name.SequenceEqual("get"u8) => KrpcQueryType.Get,
        _ when name.SequenceEqual("put"u8) => KrpcQueryType.Put,
        _ => KrpcQueryType.Unknown,
    };

    /// <summary>Enumerates the byte strings of a raw bencoded list without allocating.</summary>
    public ref struct StringListEnumerator
    {
        private BencodeReader _reader;
        private bool _valid;

        internal StringListEnumerator(ReadOnlySpan<byte> rawList)
        {
            _reader = new BencodeReader(rawList, ReaderOptions);
            try
            {
                _valid = !rawList.IsEmpty && _reader.Read() && _reader.TokenType == BencodeTokenType.ListStart;
            }
            catch (BencodeException)
            {
                _valid = false;
            }
            Current = default;
        }

        /// <summary>The current string.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>This enumerator.</summary>
        public readonly StringListEnumerator GetEnumerator() => this;

        /// <summary>Moves to the next string; false at the end or at a non-string element.</summary>
        public bool MoveNext()
        {
            if (!_valid) return false;
            try
            {
                if (_reader.Read() && _reader.TokenType == BencodeTokenType.String)
                {
                    Current = _reader.ValueSpan;
                    return true;
                }
            }
            catch (BencodeException)
            {
            }
            _valid = false;
            return false;
        }
    }
}
