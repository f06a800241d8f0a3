using System.Buffers;

namespace Bencode;

/// <summary>
/// Finds where one bencoded value ends in a stream of bytes that may still be arriving (a
/// <see cref="ReadOnlySequence{T}"/> from a pipe), without copying: for framing KRPC datagrams,
/// ut_metadata messages (a dictionary followed by raw bytes) and the like.
/// </summary>
public static class BencodeFraming
{
    /// <summary>
    /// If <paramref name="reader"/> holds one complete value, returns it as <paramref name="value"/> and advances
    /// past it. Returns false, without advancing, when more bytes are needed. Throws <see cref="BencodeException"/>
    /// when the bytes cannot be bencode or exceed the limits in <paramref name="options"/>. Only the structure is
    /// checked here; decode the value with <see cref="BencodeReader"/> for the full rules.
    /// </summary>
    public static bool TryReadValue(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> value, BencodeReaderOptions? options = null)
    {
        options ??= BencodeReaderOptions.Default;
        var r = reader;
        var depth = 0;
        value = default;
        do
        {
            if (!r.TryPeek(out var b)) return false;
            var offset = r.Consumed;
            switch (b)
            {
                case (byte)'i':
                    r.Advance(1);
                    var digits = 0;
                    while (true)
                    {
                        if (!r.TryRead(out var d)) return false;
                        if (d == (byte)'e') break;
                        if (!((d >= (byte)'0' && d <= (byte)'9') || (d == (byte)'-' && digits == 0)) || ++digits > 20)
                            throw new BencodeException("Malformed integer", offset);
                    }
                    if (digits == 0) throw new BencodeException("Empty integer", offset);
                    break;
                case >= (byte)'0' and <= (byte)'9':
                    long length = 0;
                    var count = 0;
                    while (true)
                    {
                        if (!r.TryRead(out var d)) return false;
                        if (d == (byte)':') break;
                        if (d < (byte)'0' || d > (byte)'9' || ++count > 18) throw new BencodeException("Malformed string length", offset);
                        length = (length * 10) + (d - '0');
                    }
                    if (length > options.MaxStringLength)
                        throw new BencodeException($"String of {length} bytes exceeds the limit of {options.MaxStringLength}", offset);
                    if (r.Remaining < length) return false;
                    r.Advance(length);
                    break;
                case (byte)'l':
                case (byte)'d':
                    if (++depth > options.MaxDepth) throw new BencodeException($"Nesting deeper than {options.MaxDepth}", offset);
                    r.Advance(1);
                    break;
                case (byte)'e':
                    if (depth == 0) throw new BencodeException("Unexpected 'e' outside a list or dictionary", offset);
                    depth--;
                    r.Advance(1);
                    break;
                default:
                    throw new BencodeException($"Unexpected byte 0x{b:x2}", offset);
            }
        }
        while (depth > 0);
        value = reader.Sequence.Slice(reader.Position, r.Position);
        reader = r;
        return true;
    }
}
