using Microsoft.Extensions.Logging;

namespace WebTorrent.Http;

/// <summary>Limits and behaviour of the HTTP file endpoints (<see cref="TorrentHttpEndpointRouteBuilderExtensions.MapWebTorrentFiles(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, WebTorrentClient, string, TorrentHttpOptions?)"/> and <see cref="TorrentHttpServer"/>).</summary>
public sealed record TorrentHttpOptions
{
    /// <summary>Bytes read from the torrent and written to the response at a time, from a pooled buffer. Default 64 KiB; 4 KiB to 4 MiB.</summary>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>Responses with a body that may stream at once to one client IP address; more get 429. Default 16.</summary>
    public int MaxConcurrentStreamsPerClient { get; init; } = 16;

    /// <summary>Responses with a body that may stream at once in total; more get 503. Default 256.</summary>
    public int MaxConcurrentStreams { get; init; } = 256;

    /// <summary>Ranges accepted in one <c>Range</c> header; a request with more is answered with the whole file. Default 16.</summary>
    public int MaxRanges { get; init; } = 16;

    /// <summary>
    /// How long a response may wait for the next bytes of the torrent (no peer has the piece) before the connection is
    /// dropped. Default 5 minutes; <see cref="Timeout.InfiniteTimeSpan"/> waits as long as the client stays.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether <c>{prefix}/</c> and <c>{prefix}/{infoHash}</c> list torrents and files (HTML or JSON). Default true.</summary>
    public bool EnableIndex { get; init; } = true;

    /// <summary>
    /// Host names served besides this machine's own, against DNS rebinding: a request whose <c>Host</c> is not
    /// <c>localhost</c> (or a <c>*.localhost</c> name), a loopback address, the address the connection arrived on, or
    /// one of these gets 421 Misdirected Request (400 without a host). Entries are exact names (<c>media.example</c>),
    /// subdomain patterns (<c>*.cdn.example</c>), or <c>*</c> to serve every host (when something in front, such as
    /// ASP.NET Core's host filtering or a reverse proxy, already checks it). Default: none.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>The clock of the stall timeout. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where to log; default the app's <see cref="ILoggerFactory"/> when mapped into an app, else none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferSize, 4096, nameof(BufferSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BufferSize, 4 * 1024 * 1024, nameof(BufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentStreamsPerClient, 1, nameof(MaxConcurrentStreamsPerClient));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentStreams, 1, nameof(MaxConcurrentStreams));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRanges, 1, nameof(MaxRanges));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRanges, 1024, nameof(MaxRanges));
        if (StallTimeout != Timeout.InfiniteTimeSpan) ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StallTimeout, TimeSpan.Zero, nameof(StallTimeout));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(AllowedHosts, nameof(AllowedHosts));
        foreach (var host in AllowedHosts)
            if (string.IsNullOrWhiteSpace(host)) throw new ArgumentException("An allowed host is empty.", nameof(AllowedHosts));
    }
}
