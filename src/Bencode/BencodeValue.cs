using System.Buffers;

namespace Bencode;

/// <summary>
/// A decoded bencode value: <see cref="BencodeInteger"/>, <see cref="BencodeString"/>, <see cref="BencodeList"/>
/// or <see cref="BencodeDictionary"/>. Values decoded from memory remember their exact source bytes in
/// <see cref="RawBytes"/>, so hashes over them (the info-hash) need no re-encoding.
/// </summary>
public abstract class BencodeValue
{
    private protected BencodeValue()
    {
    }

    /// <summary>The bytes this value was decoded from, exactly; empty for values built in code.</summary>
    public ReadOnlyMemory<byte> RawBytes { get; internal set; }

    /// <summary>Writes this value (canonically) to <paramref name="writer"/>.</summary>
    public abstract void WriteTo(ref BencodeWriter writer);

    /// <summary>Encodes this value into a new array (canonical encoding).</summary>
    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        WriteTo(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Implicit conversion from a string (UTF-8 byte string).</summary>
    public static implicit operator BencodeValue(string value) => new BencodeString(value);

    /// <summary>Implicit conversion from an integer.</summary>
    public static implicit operator BencodeValue(long value) => new BencodeInteger(value);

    /// <summary>Implicit conversion from bytes.</summary>
    public static implicit operator BencodeValue(byte[] value) => new BencodeString(value);
}

/// <summary>A bencoded integer.</summary>
/// <param name="value">The value.</param>
public sealed class BencodeInteger(long value) : BencodeValue, IEquatable<BencodeInteger>
{
    /// <summary>The value.</summary>
    public long Value { get; } = value;

    /// <inheritdoc/>
    public override void WriteTo(ref BencodeWriter writer) => writer.WriteInteger(Value);

    /// <inheritdoc/>
    public bool Equals(BencodeInteger? other) => other is not null && other.Value == Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BencodeInteger);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
