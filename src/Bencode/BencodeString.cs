using System.Text;

namespace Bencode;

/// <summary>A bencoded byte string. Often UTF-8 text, but any bytes (piece hashes, peer lists).</summary>
public sealed class BencodeString : BencodeValue, IEquatable<BencodeString>, IComparable<BencodeString>
{
    /// <summary>Wraps <paramref name="bytes"/> without copying.</summary>
    public BencodeString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    /// <summary>Wraps <paramref name="bytes"/> without copying.</summary>
    public BencodeString(byte[] bytes) => Bytes = bytes ?? throw new ArgumentNullException(nameof(bytes));

    /// <summary>The UTF-8 bytes of <paramref name="text"/>.</summary>
    public BencodeString(string text) => Bytes = Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The bytes.</summary>
    public ReadOnlySpan<byte> Span => Bytes.Span;

    /// <summary>Length in bytes.</summary>
    public int Length => Bytes.Length;

    /// <inheritdoc/>
    public override void WriteTo(ref BencodeWriter writer) => writer.WriteString(Bytes.Span);

    /// <summary>The bytes decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
    public override string ToString() => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>True when the bytes are valid UTF-8.</summary>
    public bool IsValidUtf8 => System.Text.Unicode.Utf8.IsValid(Bytes.Span);

    /// <inheritdoc/>
    public bool Equals(BencodeString? other) => other is not null && other.Bytes.Span.SequenceEqual(Bytes.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BencodeString);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes.Span);
        return hash.ToHashCode();
    }

    /// <summary>Raw byte order, the order of dictionary keys.</summary>
    public int CompareTo(BencodeString? other) => other is null ? 1 : Bytes.Span.SequenceCompareTo(other.Bytes.Span);

    /// <summary>Equality by bytes.</summary>
    public static bool operator ==(BencodeString? left, BencodeString? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by bytes.</summary>
    public static bool operator !=(BencodeString? left, BencodeString? right) => !(left == right);

    /// <summary>Byte order.</summary>
    public static bool operator <(BencodeString left, BencodeString right) => left is null ? right is not null : left.CompareTo(right) < 0;

    /// <summary>Byte order.</summary>
    public static bool operator <=(BencodeString left, BencodeString right) => left is null || left.CompareTo(right) <= 0;

    /// <summary>Byte order.</summary>
    public static bool operator >(BencodeString left, BencodeString right) => left is not null && left.CompareTo(right) > 0;

    /// <summary>Byte order.</summary>
    public static bool operator >=(BencodeString left, BencodeString right) => left is null ? right is null : left.CompareTo(right) >= 0;

    /// <summary>Implicit conversion from text (UTF-8).</summary>
    public static implicit operator BencodeString(string text) => new(text);
}
