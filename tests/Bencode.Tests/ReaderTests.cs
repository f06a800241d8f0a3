using System.Buffers;
using System.Text;
using Bencode;

namespace Bencode.Tests;

public class ReaderTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [InlineData("i0e", 0L)]
    [InlineData("i42e", 42L)]
    [InlineData("i-42e", -42L)]
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    public void Integers_decode(string input, long expected)
    {
        var value = Assert.IsType<BencodeInteger>(BencodeSerializer.Decode(B(input).AsMemory()));
        Assert.Equal(expected, value.Value);
    }

    [Theory]
    [InlineData("i03e")]
    [InlineData("i-0e")]
    [InlineData("ie")]
    [InlineData("i-e")]
    [InlineData("i1x2e")]
    [InlineData("i9223372036854775808e")]
    [InlineData("i42")]
    [InlineData("03:abc")]
    [InlineData("4:abc")]
    [InlineData("3abc")]
    [InlineData("d1:bi1e1:ai2ee")]
    [InlineData("d1:ai1e1:ai2ee")]
    [InlineData("di1ei2ee")]
    [InlineData("d1:ae")]
    [InlineData("l")]
    [InlineData("e")]
    [InlineData("i1ei2e")]
    [InlineData("")]
    [InlineData("x")]
    public void Strict_mode_rejects(string input)
    {
        var ex = Assert.Throws<BencodeException>(() => BencodeSerializer.Decode(B(input).AsMemory()));
        Assert.True(ex.Offset >= 0 || input.Length == 0);
    }

    [Fact]
    public void Lenient_mode_accepts_unsorted_duplicate_keys_and_leading_zeros()
    {
        var dict = BencodeSerializer.DecodeDictionary(B("d1:bi1e1:ai02e1:ai3ee").AsMemory(), BencodeReaderOptions.Lenient);
        Assert.Equal(2, dict.GetInt64("a"));
        Assert.Equal(1, dict.GetInt64("b"));
        Assert.Equal("d1:ai2e1:bi1ee", Encoding.Latin1.GetString(dict.ToArray()));
    }

    [Fact]
    public void Depth_limit_is_enforced()
    {
        var deep = new string('l', 65) + new string('e', 65);
        Assert.Throws<BencodeException>(() => BencodeSerializer.Decode(B(deep).AsMemory()));
        var ok = new string('l', 64) + new string('e', 64);
        Assert.IsType<BencodeList>(BencodeSerializer.Decode(B(ok).AsMemory()));
    }

    [Fact]
    public void String_length_limit_is_enforced_before_reading_the_body()
    {
        var options = new BencodeReaderOptions { MaxStringLength = 3 };
        Assert.Throws<BencodeException>(() => BencodeSerializer.Decode(B("4:abcd").AsMemory(), options));
        Assert.Throws<BencodeException>(() => BencodeSerializer.Decode(B("99999999999999999999:").AsMemory()));
    }

    [Fact]
    public void Raw_bytes_of_nested_value_are_exact_slices()
    {
        var input = B("d4:infod6:lengthi5e4:name1:xe3:zzzi1ee");
        var dict = BencodeSerializer.DecodeDictionary(input.AsMemory());
        var info = dict.Get<BencodeDictionary>("info")!;
        Assert.Equal("d6:lengthi5e4:name1:xe", Encoding.Latin1.GetString(info.RawBytes.Span));

        var reader = new BencodeReader(input);
        reader.Read();
        reader.Read();
        Assert.True(reader.IsDictionaryKey && reader.ValueTextEquals("info"u8));
        reader.Read();
        Assert.Equal("d6:lengthi5e4:name1:xe", Encoding.Latin1.GetString(reader.SkipValue()));
        reader.Read();
        Assert.Equal("zzz", reader.GetString());
    }

    [Fact]
    public void Encode_decode_round_trips_canonical_input()
    {
        var input = B("d1:ai-1e1:bl0:3:abce1:cd1:xi0eee");
        Assert.Equal(input, BencodeSerializer.Decode(input.AsMemory()).ToArray());
    }

    [Fact]
    public void Writer_writes_canonical_tokens()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteDictionaryStart();
        writer.WriteInteger("a"u8, -7);
        writer.WriteString("b"u8, "xyz"u8);
        writer.WriteString("c");
        writer.WriteListStart();
        writer.WriteString("é");
        writer.WriteEnd();
        writer.WriteEnd();
        Assert.Equal("d1:ai-7e1:b3:xyz1:cl2:\u00c3\u00a9ee", Encoding.Latin1.GetString(buffer.WrittenSpan));
        Assert.Equal(0, writer.Depth);
    }

    [Fact]
    public void Framing_waits_for_a_complete_value_and_slices_it()
    {
        var full = B("d1:ai1e1:bl3:xyzeeTRAILING");
        for (var cut = 0; cut < 18; cut++)
        {
            var partial = new SequenceReader<byte>(new ReadOnlySequence<byte>(full, 0, cut));
            Assert.False(BencodeFraming.TryReadValue(ref partial, out _));
            Assert.Equal(0, partial.Consumed);
        }
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(full));
        Assert.True(BencodeFraming.TryReadValue(ref reader, out var value));
        Assert.Equal("d1:ai1e1:bl3:xyzee", Encoding.Latin1.GetString(value.ToArray()));
        Assert.Equal(18, reader.Consumed);
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_BencodeException()
    {
        var random = new Random(1234);
        var alphabet = B("idle0123456789:-x");
        for (var i = 0; i < 20000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            for (var j = 0; j < bytes.Length; j++)
                bytes[j] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            try
            {
                var value = BencodeSerializer.Decode(bytes.AsMemory());
                Assert.Equal(bytes, value.ToArray());
            }
            catch (BencodeException)
            {
            }
            var seq = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            try { BencodeFraming.TryReadValue(ref seq, out _); } catch (BencodeException) { }
        }
    }
}
