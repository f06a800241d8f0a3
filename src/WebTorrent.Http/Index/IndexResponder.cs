using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebTorrent.Http.Catalog;
using WebTorrent.Http.Serving;

namespace WebTorrent.Http.Index;

/// <summary>
/// The listing pages: <c>{prefix}/</c> lists torrents, <c>{prefix}/{infoHash}</c> lists a torrent's files. HTML for
/// browsers, JSON for <c>?format=json</c>, a <c>.json</c> suffix, or an Accept header that asks for JSON without HTML.
/// Every name from a torrent is HTML-encoded and every URL segment percent-encoded.
/// </summary>
internal sealed class IndexResponder(IFileCatalog catalog, TorrentFileResponder files, string prefix)
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>Serves <c>{prefix}/</c> and <c>{prefix}/index.json</c>.</summary>
    public Task ListTorrentsAsync(HttpContext context, bool forceJson = false)
    {
        var torrents = catalog.Torrents;
        var basePath = BasePath(context);
        if (forceJson || WantsJson(context))
        {
            return WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("torrents");
                foreach (var t in torrents) WriteTorrent(writer, t, basePath, withFiles: false);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
        }
        var html = Page("WebTorrent");
        html.Append("<h1>Torrents</h1>");
        if (torrents.Count == 0) html.Append("<p>No torrents.</p>");
        else
        {
            html.Append("<table><tr><th>Name</th><th>Size</th><th>Progress</th><th>Files</th></tr>");
            foreach (var t in torrents)
            {
                html.Append("<tr><td><a href=\"").Append(Attr(TorrentUrl(basePath, t))).Append("\">").Append(Text(t.Name)).Append("</a></td><td>")
                    .Append(Size(t.Length)).Append("</td><td>").Append(Percent(t.Progress)).Append("</td><td>")
                    .Append(t.HasMetadata ? t.Files.Count.ToString(CultureInfo.InvariantCulture) : "fetching metadata").Append("</td></tr>");
            }
            html.Append("</table>");
        }
        html.Append("<p><a href=\"").Append(Attr(basePath + "/index.json")).Append("\">JSON</a></p></body></html>");
        return WriteHtmlAsync(context, html);
    }

    /// <summary>Serves <c>{prefix}/{infoHash}</c> (and <c>{prefix}/{infoHash}.json</c>).</summary>
    public Task ListFilesAsync(HttpContext context)
    {
        var json = false;
        if (context.Request.RouteValues["infoHash"] is string text && text.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            context.Request.RouteValues["infoHash"] = text[..^5];
            json = true;
        }
        var torrent = files.FindTorrent(context);
        if (torrent is null) return TorrentFileResponder.NotFoundAsync(context);
        var basePath = BasePath(context);
        if (json || WantsJson(context))
        {
            return WriteJsonAsync(context, writer => WriteTorrent(writer, torrent, basePath, withFiles: true));
        }
        var html = Page(torrent.Name);
        html.Append("<p><a href=\"").Append(Attr(basePath + "/")).Append("\">All torrents</a></p><h1>").Append(Text(torrent.Name)).Append("</h1>")
            .Append("<p>").Append(torrent.InfoHash.ToHex()).Append(" &middot; ").Append(Size(torrent.Length)).Append(" &middot; ")
            .Append(Percent(torrent.Progress)).Append("</p>");
        if (!torrent.HasMetadata) html.Append("<p>Fetching metadata&hellip;</p>");
        else
        {
            html.Append("<table><tr><th>File</th><th>Size</th><th>Progress</th><th></th></tr>");
            foreach (var f in torrent.Files)
            {
                html.Append("<tr><td><a href=\"").Append(Attr(FilePathUrl(basePath, torrent, f))).Append("\">").Append(Text(f.Path)).Append("</a></td><td>")
                    .Append(Size(f.Length)).Append("</td><td>").Append(Percent(f.Progress)).Append("</td><td><a href=\"")
                    .Append(Attr(FileIndexUrl(basePath, torrent, f) + "?download")).Append("\">download</a></td></tr>");
            }
            html.Append("</table>");
        }
        html.Append("<p><a href=\"").Append(Attr(TorrentUrl(basePath, torrent) + ".json")).Append("\">JSON</a></p></body></html>");
        return WriteHtmlAsync(context, html);
    }

    private static void WriteTorrent(Utf8JsonWriter writer, ICatalogTorrent t, string basePath, bool withFiles)
    {
        writer.WriteStartObject();
        writer.WriteString("infoHash", t.InfoHash.ToHex());
        writer.WriteString("name", t.Name);
        writer.WriteBoolean("hasMetadata", t.HasMetadata);
        writer.WriteNumber("length", t.Length);
        writer.WriteNumber("progress", Math.Round(t.Progress, 4));
        writer.WriteString("url", TorrentUrl(basePath, t));
        if (withFiles)
        {
            writer.WriteStartArray("files");
            foreach (var f in t.Files)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", f.Index);
                writer.WriteString("name", f.Name);
                writer.WriteString("path", f.Path);
                writer.WriteNumber("length", f.Length);
                writer.WriteNumber("progress", Math.Round(f.Progress, 4));
                writer.WriteString("contentType", ContentTypes.For(f.Name));
                writer.WriteString("url", FileIndexUrl(basePath, t, f));
                writer.WriteString("pathUrl", FilePathUrl(basePath, t, f));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNumber("fileCount", t.Files.Count);
        }
        writer.WriteEndObject();
    }

    private static bool WantsJson(HttpContext context)
    {
        if (context.Request.Query.TryGetValue("format", out var format)) return string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);
        var accept = context.Request.Headers.Accept.ToString();
        return accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase);
    }

    private string BasePath(HttpContext context) => context.Request.PathBase.Value + prefix;

    internal static string TorrentUrl(string basePath, ICatalogTorrent t) => basePath + "/" + t.InfoHash.ToHex();

    internal static string FileIndexUrl(string basePath, ICatalogTorrent t, ICatalogFile f) =>
        TorrentUrl(basePath, t) + "/" + f.Index.ToString(CultureInfo.InvariantCulture);

    internal static string FilePathUrl(string basePath, ICatalogTorrent t, ICatalogFile f)
    {
        var url = new StringBuilder(TorrentUrl(basePath, t));
        foreach (var segment in f.Path.Split('/')) url.Append('/').Append(Uri.EscapeDataString(segment));
        return url.ToString();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, JsonOptions))
        {
            write(writer);
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static Task WriteHtmlAsync(HttpContext context, StringBuilder html)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(html.ToString(), context.RequestAborted);
    }

    private static StringBuilder Page(string title) => new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .Append(Text(title))
        .Append("</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}</style></head><body>");

    private static string Text(string s) => HtmlEncoder.Default.Encode(s);

    private static string Attr(string s) => HtmlEncoder.Default.Encode(s);

    private static string Percent(double p) => (p * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    internal static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return value.ToString(unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
