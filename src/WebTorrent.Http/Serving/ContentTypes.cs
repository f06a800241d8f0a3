using System.Collections.Frozen;
using Microsoft.AspNetCore.StaticFiles;

namespace WebTorrent.Http.Serving;

/// <summary>
/// Media types by file extension. A table of what torrents usually carry (video, audio, images, subtitles, documents,
/// archives) first, then ASP.NET Core's <see cref="FileExtensionContentTypeProvider"/> for the long tail, then
/// <c>application/octet-stream</c>.
/// </summary>
internal static class ContentTypes
{
    /// <summary>The type of anything unknown.</summary>
    public const string Default = "application/octet-stream";

    private static readonly FrozenDictionary<string, string> Known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        // video
        [".mp4"] = "video/mp4", [".m4v"] = "video/mp4", [".mov"] = "video/quicktime", [".webm"] = "video/webm",
        [".mkv"] = "video/x-matroska", [".avi"] = "video/x-msvideo", [".ogv"] = "video/ogg", [".ts"] = "video/mp2t",
        [".m2ts"] = "video/mp2t", [".mpg"] = "video/mpeg", [".mpeg"] = "video/mpeg", [".wmv"] = "video/x-ms-wmv",
        [".flv"] = "video/x-flv", [".3gp"] = "video/3gpp",
        // audio
        [".mp3"] = "audio/mpeg", [".m4a"] = "audio/mp4", [".aac"] = "audio/aac", [".ogg"] = "audio/ogg",
        [".oga"] = "audio/ogg", [".opus"] = "audio/ogg", [".flac"] = "audio/flac", [".wav"] = "audio/wav",
        [".weba"] = "audio/webm", [".mka"] = "audio/x-matroska", [".wma"] = "audio/x-ms-wma",
        // images
        [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".png"] = "image/png", [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml", [".webp"] = "image/webp", [".avif"] = "image/avif", [".bmp"] = "image/bmp",
        [".ico"] = "image/x-icon", [".tif"] = "image/tiff", [".tiff"] = "image/tiff",
        // text and documents
        [".txt"] = "text/plain", [".nfo"] = "text/plain", [".md"] = "text/markdown", [".html"] = "text/html",
        [".htm"] = "text/html", [".css"] = "text/css", [".js"] = "text/javascript", [".csv"] = "text/csv",
        [".xml"] = "application/xml", [".json"] = "application/json", [".pdf"] = "application/pdf",
        [".epub"] = "application/epub+zip", [".srt"] = "application/x-subrip", [".vtt"] = "text/vtt",
        [".ass"] = "text/x-ssa", [".ssa"] = "text/x-ssa",
        // archives and images of discs
        [".zip"] = "application/zip", [".gz"] = "application/gzip", [".tar"] = "application/x-tar",
        [".7z"] = "application/x-7z-compressed", [".rar"] = "application/vnd.rar", [".bz2"] = "application/x-bzip2",
        [".xz"] = "application/x-xz", [".zst"] = "application/zstd", [".iso"] = "application/x-iso9660-image",
        [".torrent"] = "application/x-bittorrent",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FileExtensionContentTypeProvider Fallback = new();

    /// <summary>The media type for <paramref name="fileName"/>, by its extension.</summary>
    public static string For(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        if (extension.Length == 0) return Default;
        if (Known.TryGetValue(extension, out var type)) return type;
        return Fallback.Mappings.TryGetValue(extension, out type) ? type : Default;
    }

    /// <summary>
    /// Whether a browser would run script from this type (HTML, SVG, XML, JavaScript): such files from a torrent get a
    /// sandboxing Content-Security-Policy so they cannot act as the server's origin.
    /// </summary>
    public static bool IsActive(string contentType) =>
        contentType.StartsWith("text/html", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("javascript", StringComparison.OrdinalIgnoreCase);
}
