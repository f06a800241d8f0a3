namespace MagnetUri;

/// <summary>RFC 4648 base32 (upper-case alphabet, no padding), as used by base32 <c>urn:btih:</c> info-hashes.</summary>
internal static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>Decodes <paramref name="chars"/> (case-insensitive) into exactly <paramref name="destination"/>.Length bytes.</summary>
    public static bool TryDecode(ReadOnlySpan<char> chars, Span<byte> destination)
    {
        if (chars.Length != (destination.Length * 8 + 4) / 5) return false;
        ulong buffer = 0;
        var bits = 0;
        var written = 0;
        foreach (var c in chars)
        {
            int value;
            if (c is >= 'A' and <= 'Z') value = c - 'A';
            else if (c is >= 'a' and <= 'z') value = c - 'a';
            else if (c is >= '2' and <= '7') value = c - '2' + 26;
            else return false;
            buffer = (buffer << 5) | (uint)value;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                destination[written++] = (byte)(buffer >> bits);
            }
        }

        // Leftover bits must be zero, or two spellings would decode to one hash.
        return (buffer & ((1UL << bits) - 1)) == 0;
    }

    /// <summary>Encodes <paramref name="bytes"/> without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[(bytes.Length * 8 + 4) / 5];
        ulong buffer = 0;
        var bits = 0;
        var written = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                chars[written++] = Alphabet[(int)((buffer >> bits) & 31)];
            }
        }

        if (bits > 0) chars[written++] = Alphabet[(int)((buffer << (5 - bits)) & 31)];
        return new string(chars[..written]);
    }
}
