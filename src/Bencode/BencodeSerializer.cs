using System.Buffers;

namespace Bencode;

/// <summary>Decodes bencode into the <see cref="BencodeValue"/> object model and encodes it back.</summary>
public static class BencodeSerializer
{
    /// <summary>
    /// Decodes one value. Strings and <see cref="BencodeValue.RawBytes"/> are slices of <paramref name="data"/>
    /// (no copies), so keep the buffer unchanged while the values are in use.
    /// </summary>
    /// <exception cref="BencodeException">The input is malformed, not canonical (in strict mode), or over a limit.</exception>
    public static BencodeValue Decode(ReadOnlyMemory<byte> data, BencodeReaderOptions? options = null)
    {
        options ??= BencodeReaderOptions.Default;
        var reader = new BencodeReader(data.Span, options);
        if (!reader.Read()) throw new BencodeException("Empty input", 0);
        var value = ReadValue(ref reader, data);
        if (options.RejectTrailingData && reader.Position != data.Length)
            throw new BencodeException("Data after the end of the value", reader.Position);
        return value;
    }

    /// <summary>Decodes one value from a copy of <paramref name="data"/>.</summary>
    public static BencodeValue Decode(ReadOnlySpan<byte> data, BencodeReaderOptions? options = null) =>
        Decode(data.ToArray().AsMemory(), options);

    /// <summary>Decodes a value that must be a dictionary.</summary>
    /// <exception cref="BencodeException">The input is malformed or not a dictionary.</exception>
    public static BencodeDictionary DecodeDictionary(ReadOnlyMemory<byte> data, BencodeReaderOptions? options = null) =>
        Decode(data, options) as BencodeDictionary ?? throw new BencodeException("Expected a dictionary", 0);

    /// <summary>Encodes <paramref name="value"/> canonically into a new array.</summary>
    public static byte[] Encode(BencodeValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.ToArray();
    }

    /// <summary>Encodes <paramref name="value"/> canonically into <paramref name="output"/>.</summary>
    public static void Encode(BencodeValue value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = new BencodeWriter(output);
        value.WriteTo(ref writer);
    }

    private static BencodeValue ReadValue(ref BencodeReader reader, ReadOnlyMemory<byte> data)
    {
        var start = reader.TokenStart;
        BencodeValue value;
        switch (reader.TokenType)
        {
            case BencodeTokenType.Integer:
                value = new BencodeInteger(reader.GetInt64());
                break;
            case BencodeTokenType.String:
                value = new BencodeString(data.Slice(reader.Position - reader.ValueSpan.Length, reader.ValueSpan.Length));
                break;
            case BencodeTokenType.ListStart:
                var list = new BencodeList();
                while (reader.Read() && reader.TokenType != BencodeTokenType.End) list.Add(ReadValue(ref reader, data));
                value = list;
                break;
            case BencodeTokenType.DictionaryStart:
                var entries = new List<KeyValuePair<BencodeString, BencodeValue>>();
                while (reader.Read() && reader.TokenType != BencodeTokenType.End)
                {
                    var key = new BencodeString(data.Slice(reader.Position - reader.ValueSpan.Length, reader.ValueSpan.Length));
                    reader.Read();
                    entries.Add(new(key, ReadValue(ref reader, data)));
                }
                var dictionary = BencodeDictionary.FromDecoded(entries);
                value = dictionary;
                break;
            default:
                throw new BencodeException($"Unexpected {reader.TokenType}", reader.TokenStart);
        }
        value.RawBytes = data[start..reader.Position];
        return value;
    }
}
