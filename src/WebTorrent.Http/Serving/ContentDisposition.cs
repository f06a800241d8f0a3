using System.Text;

namespace WebTorrent.Http.Serving;

/// <summary>
/// Builds a <c>Content-Disposition</c> value (RFC 6266) for a file name from a torrent: a plain ASCII
/// <c>filename</c> fallback and the exact name as <c>filename*=UTF-8''...</c> (RFC 8187). The result is pure ASCII
/// with no control characters, whatever the name holds.
/// </summary>
internal static class ContentDisposition
{
    /// <summary>The header value for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file's name as the torrent gives it.</param>
    /// <param name="attachment">Whether to ask the browser to save it rather than show it.</param>
    public static string Create(string fileName, bool attachment)
    {
        var builder = new StringBuilder(fileName.Length * 2 + 48);
        builder.Append(attachment ? "attachment" : "inline").Append("; filename=\"");
        foreach (var rune in fileName.EnumerateRunes())
        {
            // quoted-string fallback: printable ASCII except the quote and the backslash.
            builder.Append(rune.Value is >= 0x20 and < 0x7F and not '"' and not '\\' ? (char)rune.Value : '_');
        }
        builder.Append("\"; filename*=UTF-8''");
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in fileName.EnumerateRunes())
        {
            if (rune.Value < 0x80 && IsAttrChar((char)rune.Value))
            {
                builder.Append((char)rune.Value);
                continue;
            }
            var n = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < n; i++) builder.Append('%').Append(Hex(utf8[i] >> 4)).Append(Hex(utf8[i] & 0xF));
        }
        return builder.ToString();
    }

    // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    private static bool IsAttrChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static char Hex(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
}
