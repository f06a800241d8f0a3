using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebTorrent.Http.Catalog;
using WebTorrent.Http.Serving;

namespace WebTorrent.Http;

/// <summary>
/// A self-hosted HTTP server (Kestrel) for the files of a client's torrents, like WebTorrent's
/// <c>torrent.createServer()</c>, for console apps that have no ASP.NET Core app of their own. Bound to loopback on a
/// free port by default; <see cref="BaseAddress"/> tells where it listens.
/// </summary>
public sealed partial class TorrentHttpServer : IAsyncDisposable
{
    private readonly IFileCatalog _catalog;
    private readonly TorrentHttpServerOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private WebApplication? _app;
    private TorrentFileResponder? _responder;
    private bool _disposed;
    private Uri? _baseAddress;
    private IPEndPoint? _localEndPoint;

    /// <summary>A server for every torrent of <paramref name="client"/> (torrents added later included).</summary>
    /// <param name="client">The client whose torrents to serve.</param>
    /// <param name="options">Address, port, prefix and limits; defaults when <see langword="null"/>.</param>
    public TorrentHttpServer(WebTorrentClient client, TorrentHttpServerOptions? options = null)
        : this(new WebTorrentClientCatalog(client ?? throw new ArgumentNullException(nameof(client))), options)
    {
    }

    /// <summary>A server for one torrent, like WebTorrent's <c>torrent.createServer()</c>.</summary>
    /// <param name="torrent">The torrent to serve.</param>
    /// <param name="options">Address, port, prefix and limits; defaults when <see langword="null"/>.</param>
    public TorrentHttpServer(Torrent torrent, TorrentHttpServerOptions? options = null)
        : this(new WebTorrentClientCatalog(torrent ?? throw new ArgumentNullException(nameof(torrent))), options)
    {
    }

    internal TorrentHttpServer(IFileCatalog catalog, TorrentHttpServerOptions? options)
    {
        _catalog = catalog;
        _options = options ?? new TorrentHttpServerOptions();
        _options.Http.Validate();
        ArgumentNullException.ThrowIfNull(_options.Address, nameof(_options.Address));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.Port, nameof(_options.Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.Port, IPEndPoint.MaxPort, nameof(_options.Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxConnections, 1, nameof(_options.MaxConnections));
    }

    /// <summary>
    /// Where the listing is, e.g. <c>http://127.0.0.1:49152/webtorrent/</c>; a file is at
    /// <c>{BaseAddress}{infoHash}/{fileIndex}</c> or <c>{BaseAddress}{infoHash}/{path}</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>The bound endpoint (the real port when <see cref="TorrentHttpServerOptions.Port"/> is 0).</summary>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Whether <see cref="StartAsync"/> has completed.</summary>
    public bool IsRunning => _app is not null;

    /// <summary>Responses streaming a file body right now.</summary>
    public int ActiveStreams => _responder?.ActiveStreams ?? 0;

    /// <summary>
    /// The URL of <paramref name="file"/>: <c>{BaseAddress}{infoHash}/{path}</c>, each path segment percent-encoded, so
    /// players that look at the URL see the file's extension.
    /// </summary>
    /// <param name="file">A file of a served torrent.</param>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public Uri GetFileUri(TorrentFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_app is null) throw new InvalidOperationException("The server has not started.");
        var relative = new System.Text.StringBuilder(file.Torrent.InfoHash.ToHex());
        foreach (var segment in file.Path.Split('/')) relative.Append('/').Append(Uri.EscapeDataString(segment));
        return new Uri(BaseAddress, relative.ToString());
    }

    /// <summary>Binds and starts Kestrel. Calling it again while running does nothing.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_app is not null) return;
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxConcurrentConnections = _options.MaxConnections;
                kestrel.Listen(_options.Address, _options.Port);
            });
            builder.Services.AddRoutingCore();
            if (_options.Http.LoggerFactory is { } loggerFactory) builder.Services.AddSingleton(loggerFactory);
            else builder.Services.AddLogging();
            var app = builder.Build();
            app.UseRouting();
            app.MapTorrentFiles(_catalog, _options.PathPrefix, _options.Http, out var responder);
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            var bound = new Uri(address);
            _localEndPoint = new IPEndPoint(_options.Address, bound.Port);
            var prefix = TorrentHttpEndpointRouteBuilderExtensions.NormalizePrefix(_options.PathPrefix);
            _baseAddress = new Uri(bound, prefix + "/");
            _responder = responder;
            _app = app;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops accepting requests and ends the open responses.</summary>
    /// <param name="cancellationToken">Ends the graceful wait early.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_app is null) return;
            var app = _app;
            _app = null;
            try
            {
                await app.StopAsync(cancellationToken);
            }
            finally
            {
                await app.DisposeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        using (var cts = new CancellationTokenSource(_options.ShutdownTimeout, _options.Http.TimeProvider))
        {
            await StopAsync(cts.Token);
        }
        _disposed = true;
        _gate.Dispose();
    }
}

/// <summary>Options of <see cref="TorrentHttpServer"/>.</summary>
public sealed record TorrentHttpServerOptions
{
    /// <summary>Address to listen on. Default <see cref="IPAddress.Loopback"/> (this machine only).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 (default) picks a free one (see <see cref="TorrentHttpServer.BaseAddress"/>).</summary>
    public int Port { get; init; }

    /// <summary>Path the listing and files live under. Default <c>/webtorrent</c>; <c>/</c> for the root.</summary>
    public string PathPrefix { get; init; } = "/webtorrent";

    /// <summary>Open TCP connections allowed at once. Default 512.</summary>
    public long MaxConnections { get; init; } = 512;

    /// <summary>How long <see cref="TorrentHttpServer.DisposeAsync"/> lets open responses finish. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Limits and behaviour of the endpoints (buffer, stream limits, stall timeout, logging).</summary>
    public TorrentHttpOptions Http { get; init; } = new();
}
