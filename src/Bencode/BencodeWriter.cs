using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Bencode;

/// <summary>
/// Writes bencode tokens straight into an <see cref="IBufferWriter{T}"/> without allocating.
/// Dictionary keys must be written in ascending byte order for canonical output
/// (<see cref="BencodeDictionary"/> keeps its keys sorted for you).
/// </summary>
public ref struct BencodeWriter
{
    private readonly IBufferWriter<byte> _output;
    private int _depth;

    /// <summary>Creates a writer appending to <paramref name="output"/>.</summary>
    public BencodeWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Open lists and dictionaries not yet ended.</summary>
    public readonly int Depth => _depth;

    /// <summary>Writes <c>i&lt;value&gt;e</c>.</summary>
    public readonly void WriteInteger(long value)
    {
        var span = _output.GetSpan(22);
        span[0] = (byte)'i';
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'e';
        _output.Advance(written + 2);
    }

    /// <summary>Writes a byte string <c>&lt;length&gt;:&lt;bytes&gt;</c>.</summary>
    public readonly void WriteString(ReadOnlySpan<byte> value)
    {
        var span = _output.GetSpan(20 + value.Length);
        Utf8Formatter.TryFormat(value.Length, span, out var written);
        span[written++] = (byte)':';
        value.CopyTo(span[written..]);
        _output.Advance(written + value.Length);
    }

    /// <summary>Writes <paramref name="value"/> as a UTF-8 byte string.</summary>
    public readonly void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        var span = _output.GetSpan(20 + length);
        Utf8Formatter.TryFormat(length, span, out var written);
        span[written++] = (byte)':';
        Encoding.UTF8.GetBytes(value, span[written..]);
        _output.Advance(written + length);
    }

    /// <summary>Writes a dictionary key and an integer value.</summary>
    public readonly void WriteInteger(ReadOnlySpan<byte> key, long value)
    {
        WriteString(key);
        WriteInteger(value);
    }

    /// <summary>Writes a dictionary key and a byte-string value.</summary>
    public readonly void WriteString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        WriteString(key);
        WriteString(value);
    }

    /// <summary>Writes <c>l</c>.</summary>
    public void WriteListStart() => WriteMarker((byte)'l', +1);

    /// <summary>Writes <c>d</c>.</summary>
    public void WriteDictionaryStart() => WriteMarker((byte)'d', +1);

    /// <summary>Writes <c>e</c>, ending the innermost list or dictionary.</summary>
    public void WriteEnd()
    {
        if (_depth == 0) throw new InvalidOperationException("No list or dictionary is open.");
        WriteMarker((byte)'e', -1);
    }

    /// <summary>Copies an already bencoded value as it is (for example a raw <c>info</c> dictionary).</summary>
    public readonly void WriteRawValue(ReadOnlySpan<byte> bencodedValue) => _output.Write(bencodedValue);

    private void WriteMarker(byte marker, int depthChange)
    {
        var span = _output.GetSpan(1);
        span[0] = marker;
        _output.Advance(1);
        _depth += depthChange;
    }
}
