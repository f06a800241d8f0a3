using Microsoft.Extensions.Logging;
using WebTorrent.WebSeeds;

namespace WebTorrent;

public sealed partial class Torrent
{
    private readonly HashSet<int> _webSeedPieces = [];

    /// <summary>Starts one loop per BEP 19 web seed (the torrent's <c>url-list</c>, the magnet's <c>ws</c>). Caller: a running, ready session.</summary>
    private void StartWebSeeds(CancellationToken cancellationToken)
    {
        if (!_options.EnableWebSeeds || _metainfo is not { } metainfo) return;
        var urls = metainfo.UrlList.Concat(_magnet?.WebSeeds ?? []).Distinct(StringComparer.Ordinal);
        foreach (var text in urls)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")) continue;
            _ = RunWebSeedAsync(metainfo, url, cancellationToken);
        }
    }

    /// <summary>Fetches whole pieces nobody is downloading from one web seed until the torrent is done or the seed keeps failing.</summary>
    private async Task RunWebSeedAsync(Metainfo.TorrentMetainfo metainfo, Uri url, CancellationToken cancellationToken)
    {
        using var seed = new WebSeedClient(metainfo, url, new WebSeedClientOptions
        {
            HttpClient = _options.WebSeedHttpClient,
            TimeProvider = _options.TimeProvider,
            RequestTimeout = _options.RequestTimeout,
        });
        _logger.LogDebug("{Torrent}: web seed {Url}", Name, url);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int piece;
                int size;
                lock (_gate)
                {
                    if (_picker is null || _state is not TorrentState.Downloading and not TorrentState.Seeding) return;
                    piece = _picker.PickUnstartedPiece(_webSeedPieces.Contains);
                    size = piece < 0 ? 0 : _picker.GetPieceSize(piece);
                    if (piece >= 0) _webSeedPieces.Add(piece);
                }
                if (piece < 0)
                {
                    // Nothing to fetch now: peers hold every missing piece, or we are done (a selection may change that).
                    await Task.Delay(TimeSpan.FromSeconds(1), _options.TimeProvider, cancellationToken);
                    continue;
                }
                var buffer = new PieceBuffer(size, size);
                try
                {
                    if (!_client.DownloadLimiter.IsUnlimited) await _client.DownloadLimiter.TakeAsync(size, cancellationToken);
                    await seed.ReadAsync((long)piece * metainfo.PieceLength, buffer.Writable, cancellationToken);
                    Interlocked.Add(ref _downloaded, size);
                    _client.Metrics.BytesDownloaded.Add(size);
                    if (!_layout!.VerifyPiece(piece, buffer.Span))
                    {
                        _client.Metrics.PiecesFailed.Add(1);
                        _logger.LogWarning("{Torrent}: web seed {Url} sent a piece that failed its check; dropping the seed", Name, url);
                        return;
                    }
                    await StoreVerifiedPieceAsync(piece, buffer);
                }
                catch (Exception ex) when (ex is WebSeedException or TimeoutException or HttpRequestException or IOException)
                {
                    _logger.LogDebug("{Torrent}: web seed {Url} failed piece {Piece}: {Error}", Name, url, piece, ex.Message);
                    if (seed.ConsecutiveFailures >= _options.MaxWebSeedFailures)
                    {
                        _logger.LogWarning("{Torrent}: web seed {Url} dropped after {Failures} failures", Name, url, seed.ConsecutiveFailures);
                        return;
                    }
                    await Task.Delay(_options.ReconnectBackoff * seed.ConsecutiveFailures, _options.TimeProvider, cancellationToken);
                }
                finally
                {
                    buffer.Return();
                    lock (_gate) _webSeedPieces.Remove(piece);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Paused or removed.
        }
        catch (ObjectDisposedException)
        {
            // Removed while writing.
        }
    }
}
