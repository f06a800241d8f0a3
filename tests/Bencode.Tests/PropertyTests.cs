using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Bencode.Tests;

/// <summary>Generators of canonical bencode values for FsCheck (any bytes in strings and keys, any 64-bit integer).</summary>
public static class BencodeArbitraries
{
    public static Arbitrary<BencodeValue> Values() => Arb.From(Gen.Sized(size => Value(Math.Min(size, 30))));

    private static Gen<byte[]> Bytes() => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i));

    private static Gen<BencodeValue> Leaf() => Gen.OneOf(
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => (BencodeValue)new BencodeInteger(i)),
        Gen.Elements(0L, -1L, long.MinValue, long.MaxValue, 1L << 40).Select(l => (BencodeValue)new BencodeInteger(l)),
        Bytes().Select(b => (BencodeValue)new BencodeString(b)));

    private static Gen<BencodeValue> Value(int size)
    {
        if (size <= 1) return Leaf();
        var child = Gen.Sized(_ => Value(size / 3));
        var list = Gen.ListOf(child).Select(items => (BencodeValue)new BencodeList(items));
        var dictionary = Gen.ListOf(Gen.Zip(Bytes(), child)).Select(entries =>
        {
            var d = new BencodeDictionary();
            foreach (var (key, value) in entries) d.Set(new BencodeString(key), value);
            return (BencodeValue)d;
        });
        return Gen.OneOf(Leaf(), list, dictionary);
    }
}

[Properties(Arbitrary = [typeof(BencodeArbitraries)], MaxTest = 300)]
public class PropertyTests
{
    [Property]
    public bool Encode_of_decode_is_identity_for_canonical_input(BencodeValue value)
    {
        var encoded = value.ToArray();
        var decoded = BencodeSerializer.Decode(encoded.AsMemory());
        return decoded.ToArray().AsSpan().SequenceEqual(encoded) && decoded.RawBytes.Span.SequenceEqual(encoded);
    }

    [Property]
    public bool Reader_tokens_written_back_reproduce_the_input(BencodeValue value)
    {
        var encoded = value.ToArray();
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output);
        var reader = new BencodeReader(encoded);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case BencodeTokenType.Integer: writer.WriteInteger(reader.GetInt64()); break;
                case BencodeTokenType.String: writer.WriteString(reader.ValueSpan); break;
                case BencodeTokenType.ListStart: writer.WriteListStart(); break;
                case BencodeTokenType.DictionaryStart: writer.WriteDictionaryStart(); break;
                case BencodeTokenType.End: writer.WriteEnd(); break;
            }
        }
        return reader.IsComplete && output.WrittenSpan.SequenceEqual(encoded);
    }

    [Property]
    public bool SkipValue_returns_the_raw_bytes(BencodeValue value)
    {
        var encoded = value.ToArray();
        var reader = new BencodeReader(encoded);
        reader.Read();
        return reader.SkipValue().SequenceEqual(encoded) && reader.IsComplete;
    }

    [Property]
    public bool Framing_finds_the_value_across_any_segmentation(BencodeValue value, PositiveInt segment)
    {
        var encoded = value.ToArray();
        byte[] stream = [.. encoded, .. "i7e"u8];
        var sequence = Segmented(stream, Math.Min(segment.Get, 64));
        var reader = new SequenceReader<byte>(sequence);
        if (!BencodeFraming.TryReadValue(ref reader, out var framed)) return false;
        var incomplete = new SequenceReader<byte>(Segmented(encoded[..^1], 3));
        return framed.ToArray().AsSpan().SequenceEqual(encoded) && reader.Consumed == encoded.Length
            && (encoded.Length == 0 || !BencodeFraming.TryReadValue(ref incomplete, out _));
    }

    [Property]
    public bool Mutated_canonical_input_only_throws_BencodeException(BencodeValue value, int position, byte replacement, bool truncate)
    {
        var encoded = value.ToArray();
        var index = (int)((uint)position % (uint)encoded.Length);
        var mutated = truncate ? encoded[..index] : encoded.ToArray();
        if (!truncate) mutated[index] = replacement;
        try
        {
            BencodeSerializer.Decode(mutated.AsMemory());
            BencodeSerializer.Decode(mutated.AsMemory(), BencodeReaderOptions.Lenient);
        }
        catch (BencodeException e)
        {
            return e.Offset >= 0 && e.Offset <= mutated.Length;
        }
        try
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(mutated));
            BencodeFraming.TryReadValue(ref reader, out _);
        }
        catch (BencodeException)
        {
        }
        return true;
    }

    [Property]
    public bool Lenient_mode_accepts_any_key_order_and_re_encodes_canonically(BencodeValue value)
    {
        // Reverse every dictionary's keys in the text: strict mode must refuse it (when it changed), lenient must restore it.
        var canonical = value.ToArray();
        var shuffled = Reversed(BencodeSerializer.Decode(canonical.AsMemory()));
        var lenient = BencodeSerializer.Decode(shuffled.AsMemory(), BencodeReaderOptions.Lenient);
        var strictOk = true;
        if (!shuffled.AsSpan().SequenceEqual(canonical))
        {
            try
            {
                BencodeSerializer.Decode(shuffled.AsMemory());
                strictOk = false;
            }
            catch (BencodeException)
            {
            }
        }
        return strictOk && lenient.ToArray().AsSpan().SequenceEqual(canonical);
    }

    private static byte[] Reversed(BencodeValue value)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output);
        Write(value, ref writer);
        return output.WrittenSpan.ToArray();

        static void Write(BencodeValue value, ref BencodeWriter writer)
        {
            switch (value)
            {
                case BencodeDictionary d:
                    writer.WriteDictionaryStart();
                    foreach (var (k, v) in d.Reverse())
                    {
                        writer.WriteString(k.Span);
                        Write(v, ref writer);
                    }
                    writer.WriteEnd();
                    break;
                case BencodeList l:
                    writer.WriteListStart();
                    foreach (var item in l) Write(item, ref writer);
                    writer.WriteEnd();
                    break;
                default:
                    value.WriteTo(ref writer);
                    break;
            }
        }
    }

    private static ReadOnlySequence<byte> Segmented(byte[] data, int size)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        Segment? first = null, last = null;
        for (var i = 0; i < data.Length; i += size)
        {
            var memory = data.AsMemory(i, Math.Min(size, data.Length - i));
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
