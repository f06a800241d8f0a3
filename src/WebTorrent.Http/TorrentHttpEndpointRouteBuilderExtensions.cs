using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebTorrent.Http.Catalog;
using WebTorrent.Http.Index;
using WebTorrent.Http.Serving;

namespace WebTorrent.Http;

/// <summary>Maps the files of a client's torrents into an ASP.NET Core app.</summary>
public static partial class TorrentHttpEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <paramref name="catalog"/> under <paramref name="prefix"/>. Shared by the public overloads and
    /// <see cref="TorrentHttpServer"/>.
    /// </summary>
    internal static RouteGroupBuilder MapTorrentFiles(this IEndpointRouteBuilder endpoints, IFileCatalog catalog, string prefix, TorrentHttpOptions? options, out TorrentFileResponder responder)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        options ??= new TorrentHttpOptions();
        options.Validate();
        prefix = NormalizePrefix(prefix);
        var loggerFactory = options.LoggerFactory ?? endpoints.ServiceProvider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var files = new TorrentFileResponder(catalog, options, loggerFactory.CreateLogger("WebTorrent.Http"));
        var index = new IndexResponder(catalog, files, prefix);
        responder = files;

        string[] getHead = [HttpMethods.Get, HttpMethods.Head];
        var group = endpoints.MapGroup(prefix.Length == 0 ? "/" : prefix);
        if (options.EnableIndex)
        {
            group.MapMethods("/", getHead, context => index.ListTorrentsAsync(context));
            group.MapMethods("/index.json", getHead, context => index.ListTorrentsAsync(context, forceJson: true));
            group.MapMethods("/{infoHash}", getHead, index.ListFilesAsync);
        }
        group.MapMethods("/{infoHash}/{fileIndex:int}", getHead, files.ServeByIndexAsync);
        group.MapMethods("/{infoHash}/{**path}", getHead, files.ServeByPathAsync);
        return group;
    }

    /// <summary>"/x/" and "x" become "/x"; "/" and "" become "".</summary>
    internal static string NormalizePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        prefix = prefix.Trim().TrimEnd('/');
        if (prefix.Length == 0) return "";
        return prefix[0] == '/' ? prefix : "/" + prefix;
    }
}
