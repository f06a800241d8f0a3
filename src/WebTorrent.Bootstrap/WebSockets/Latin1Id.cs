using System.Text.Json;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>20-byte ids written as 20-character latin-1 JSON strings (each char one byte), as WebTorrent sends them.</summary>
internal static class Latin1Id
{
    /// <summary>Reads the current string token as an id; throws <see cref="TrackerRequestException"/> unless it is exactly 20 chars, each below U+0100.</summary>
    public static Id20 Read(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.String) throw new TrackerRequestException($"invalid {name}");
        // Escaped, 20 chars take at most 120 bytes (\u00XX each); unescaped UTF-8, at most 40.
        var raw = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (raw > 120) throw new TrackerRequestException($"invalid {name}");
        Span<byte> utf8 = stackalloc byte[120];
        int length;
        try
        {
            length = reader.CopyString(utf8);
        }
        catch (InvalidOperationException)
        {
            throw new TrackerRequestException($"invalid {name}"); // not valid UTF-8
        }
        Span<byte> id = stackalloc byte[Id20.Length];
        var count = 0;
        for (var i = 0; i < length; i++)
        {
            if (count == Id20.Length) throw new TrackerRequestException($"invalid {name}");
            var b = utf8[i];
            if (b < 0x80)
            {
                id[count++] = b;
            }
            else if ((b == 0xC2 || b == 0xC3) && i + 1 < length && (utf8[i + 1] & 0xC0) == 0x80)
            {
                id[count++] = (byte)(((b & 0x1F) << 6) | (utf8[i + 1] & 0x3F));
                i++;
            }
            else
            {
                throw new TrackerRequestException($"invalid {name}");
            }
        }
        if (count != Id20.Length) throw new TrackerRequestException($"invalid {name}");
        return new Id20(id);
    }

    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> propertyName, Id20 id)
    {
        Span<char> chars = stackalloc char[Id20.Length];
        id.CopyToLatin1(chars);
        writer.WriteString(propertyName, chars);
    }
}
