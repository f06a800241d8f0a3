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
    /// Serves the files of every torrent of <paramref name="client"/> under <paramref name="prefix"/>, like WebTorrent's
    /// <c>createServer()</c>: <c>GET|HEAD {prefix}/</c> lists torrents (HTML, or JSON for <c>?format=json</c>,
    /// <c>index.json</c> or <c>Accept: application/json</c>), <c>{prefix}/{infoHash}</c> lists a torrent's files, and
    /// <c>{prefix}/{infoHash}/{fileIndex}</c> or <c>{prefix}/{infoHash}/{path}</c> serves one file with byte ranges,
    /// validators and its content type, streamed from <see cref="TorrentFile.OpenRead"/> while it downloads.
    /// </summary>
    /// <param name="endpoints">The app or endpoint builder.</param>
    /// <param name="client">The client whose torrents to serve (torrents added later are served too).</param>
    /// <param name="prefix">Route prefix; default <c>/webtorrent</c>, <c>/</c> for the root.</param>
    /// <param name="options">Limits and behaviour; defaults when <see langword="null"/>.</param>
    /// <returns>The route group, for conventions (authorization, CORS, rate limiting...).</returns>
    public static RouteGroupBuilder MapWebTorrentFiles(this IEndpointRouteBuilder endpoints, WebTorrentClient client, string prefix = "/webtorrent", TorrentHttpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return endpoints.MapTorrentFiles(new WebTorrentClientCatalog(client), prefix, options, out _);
    }

    /// <summary>Serves the files of one <paramref name="torrent"/> under <paramref name="prefix"/> (same routes as the client overload).</summary>
    /// <param name="endpoints">The app or endpoint builder.</param>
    /// <param name="torrent">The torrent to serve.</param>
    /// <param name="prefix">Route prefix; default <c>/webtorrent</c>, <c>/</c> for the root.</param>
    /// <param name="options">Limits and behaviour; defaults when <see langword="null"/>.</param>
    /// <returns>The route group, for conventions.</returns>
    public static RouteGroupBuilder MapWebTorrentFiles(this IEndpointRouteBuilder endpoints, Torrent torrent, string prefix = "/webtorrent", TorrentHttpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return endpoints.MapTorrentFiles(new WebTorrentClientCatalog(torrent), prefix, options, out _);
    }

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

        var hosts = new HostFilter(options.AllowedHosts);

        string[] getHead = [HttpMethods.Get, HttpMethods.Head];
        var group = endpoints.MapGroup(prefix.Length == 0 ? "/" : prefix);
        if (options.EnableIndex)
        {
            group.MapMethods("/", getHead, hosts.Guard(context => index.ListTorrentsAsync(context)));
            group.MapMethods("/index.json", getHead, hosts.Guard(context => index.ListTorrentsAsync(context, forceJson: true)));
            group.MapMethods("/{infoHash}", getHead, hosts.Guard(index.ListFilesAsync));
        }
        group.MapMethods("/{infoHash}/{fileIndex:int}", getHead, hosts.Guard(files.ServeByIndexAsync));
        group.MapMethods("/{infoHash}/{**path}", getHead, hosts.Guard(files.ServeByPathAsync));
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
