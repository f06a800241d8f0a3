using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace MagnetUri;

/// <summary>Percent-decoding of magnet values (UTF-8) and encoding like JavaScript's <c>encodeURIComponent</c>.</summary>
internal static class PercentEncoding
{
    private const int StackLimit = 512;

    /// <summary>
    /// Whether <paramref name="value"/> needs the slow path: it holds '%', '+' when that means space, or a
    /// surrogate (which must be checked for pairing, since a lone one cannot be UTF-8).
    /// </summary>
    public static bool NeedsDecoding(ReadOnlySpan<char> value, bool plusAsSpace) =>
        (plusAsSpace ? value.ContainsAny('%', '+') : value.Contains('%')) || value.ContainsAnyInRange('\uD800', '\uDFFF');

    /// <summary>Upper bound of the decoded length in chars (decoding never lengthens).</summary>
    public static int MaxDecodedLength(ReadOnlySpan<char> value) => value.Length;

    /// <summary>
    /// Decodes <paramref name="value"/> into <paramref name="destination"/> (at least <paramref name="value"/>.Length chars).
    /// Fails on a truncated or non-hex escape and on escapes that are not valid UTF-8, like <c>decodeURIComponent</c>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> value, Span<char> destination, bool plusAsSpace, out int charsWritten)
    {
        charsWritten = 0;
        if (!NeedsDecoding(value, plusAsSpace))
        {
            if (!value.TryCopyTo(destination)) return false;
            charsWritten = value.Length;
            return true;
        }

        // Raw non-ASCII characters take up to 3 UTF-8 bytes each; escapes shrink three chars to one byte.
        var maxBytes = value.Length * 3;
        byte[]? rented = null;
        var bytes = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var count = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '%')
                {
                    if (i + 2 >= value.Length) return false;
                    var hi = HexValue(value[i + 1]);
                    var lo = HexValue(value[i + 2]);
                    if ((hi | lo) < 0) return false;
                    bytes[count++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else if (c == '+' && plusAsSpace)
                {
                    bytes[count++] = (byte)' ';
                }
                else if (c < 0x80)
                {
                    bytes[count++] = (byte)c;
                }
                else
                {
                    // A run of raw non-ASCII text: re-encode it as UTF-8 (a lone surrogate is invalid input).
                    var end = i + 1;
                    while (end < value.Length && value[end] >= 0x80) end++;
                    if (Utf8.FromUtf16(value[i..end], bytes[count..], out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
                        return false;
                    count += written;
                    i = end - 1;
                }
            }

            return Utf8.ToUtf16(bytes[..count], destination, out _, out charsWritten, replaceInvalidSequences: false) == OperationStatus.Done;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes <paramref name="value"/> to a new string, or returns <see langword="null"/> when it is malformed.</summary>
    public static string? Decode(ReadOnlySpan<char> value, bool plusAsSpace)
    {
        if (!NeedsDecoding(value, plusAsSpace)) return value.ToString();
        char[]? rented = null;
        var chars = value.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(value.Length));
        try
        {
            return TryDecode(value, chars, plusAsSpace, out var written) ? new string(chars[..written]) : null;
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Appends <paramref name="value"/> escaped like <c>encodeURIComponent</c> (everything but
    /// <c>A-Z a-z 0-9 - _ . ! ~ * ' ( )</c> and the characters in <paramref name="keep"/> becomes UTF-8 <c>%XX</c>);
    /// with <paramref name="spaceAsPlus"/> a space is written <c>+</c>.
    /// </summary>
    public static void Encode(StringBuilder builder, string value, bool spaceAsPlus = false, string keep = "")
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnreserved(c) || (c < 0x80 && keep.Contains(c, StringComparison.Ordinal)))
            {
                builder.Append(c);
                continue;
            }

            if (c == ' ' && spaceAsPlus)
            {
                builder.Append('+');
                continue;
            }

            int written;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                written = new Rune(c, value[i + 1]).EncodeToUtf8(utf8);
                i++;
            }
            else
            {
                // A lone surrogate cannot be UTF-8: write U+FFFD, as a UTF-8 encoder would.
                written = (Rune.TryCreate(c, out var rune) ? rune : Rune.ReplacementChar).EncodeToUtf8(utf8);
            }

            foreach (var b in utf8[..written])
            {
                builder.Append('%').Append(HexDigits[b >> 4]).Append(HexDigits[b & 15]);
            }
        }
    }

    private const string HexDigits = "0123456789ABCDEF";

    private static bool IsUnreserved(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or '!' or '~' or '*' or '\'' or '(' or ')';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
