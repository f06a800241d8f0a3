using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using Bencode;

namespace WebTorrent.Tracker;

/// <summary>
/// HTTP(S) tracker client: announce (BEP 3, compact peers BEP 23, IPv6 <c>peers6</c> BEP 7) and scrape (BEP 48).
/// </summary>
public sealed class HttpTrackerClient : ITrackerClient
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly int _maxResponseSize;

    /// <summary>Creates a client for the announce URL <paramref name="announceUri"/>.</summary>
    /// <param name="announceUri">An http:// or https:// announce URL.</param>
    /// <param name="httpClient">An HttpClient to share (not disposed here); null creates one.</param>
    /// <param name="maxResponseSize">Largest response accepted. Default 1 MiB.</param>
    public HttpTrackerClient(Uri announceUri, HttpClient? httpClient = null, int maxResponseSize = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(announceUri);
        if (announceUri.Scheme is not ("http" or "https")) throw new ArgumentException("An HTTP tracker URL is http:// or https://.", nameof(announceUri));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxResponseSize);
        Uri = announceUri;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _maxResponseSize = maxResponseSize;
    }

    /// <inheritdoc />
    public Uri Uri { get; }

    /// <inheritdoc />
    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var query = new StringBuilder(Uri.OriginalString);
        query.Append(Uri.Query.Length > 0 ? '&' : '?');
        query.Append("info_hash=").Append(PercentEncode(request.InfoHash.Span))
            .Append("&peer_id=").Append(PercentEncode(request.PeerId.Span))
            .Append(CultureInfo.InvariantCulture, $"&port={request.Port}&uploaded={request.Uploaded}&downloaded={request.Downloaded}&left={request.Left}")
            .Append(CultureInfo.InvariantCulture, $"&compact=1&numwant={request.NumWant}&key={request.Key:x8}");
        if (request.Event != TrackerEvent.None) query.Append("&event=").Append(request.Event.ToString().ToLowerInvariant());
        if (request.TrackerId is not null) query.Append("&trackerid=").Append(Uri.EscapeDataString(request.TrackerId));

        var body = await GetAsync(new Uri(query.ToString()), cancellationToken);
        var dictionary = Decode(body);
        return ParseAnnounce(dictionary);
    }

    /// <inheritdoc />
    public async Task<ScrapeResponse> ScrapeAsync(IReadOnlyList<ReadOnlyMemory<byte>> infoHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(infoHashes);
        var scrape = ScrapeUri(Uri) ?? throw new TrackerException($"{Uri} does not support scrape (its path does not end in /announce).");
        var query = new StringBuilder(scrape.OriginalString);
        var separator = scrape.Query.Length > 0 ? '&' : '?';
        foreach (var infoHash in infoHashes)
        {
            if (infoHash.Length != 20) throw new ArgumentException("Info-hashes are 20 bytes.", nameof(infoHashes));
            query.Append(separator).Append("info_hash=").Append(PercentEncode(infoHash.Span));
            separator = '&';
        }
        var dictionary = Decode(await GetAsync(new Uri(query.ToString()), cancellationToken));
        var files = new Dictionary<string, ScrapeEntry>(StringComparer.Ordinal);
        if (dictionary.Get<BencodeDictionary>("files") is { } filesDictionary)
        {
            foreach (var (key, value) in filesDictionary)
            {
                if (key.Length != 20 || value is not BencodeDictionary file) continue;
                files[Convert.ToHexStringLower(key.Span)] = new ScrapeEntry(
                    (int)(file.GetInt64("complete") ?? 0), (int)(file.GetInt64("downloaded") ?? 0), (int)(file.GetInt64("incomplete") ?? 0));
            }
        }
        return new ScrapeResponse(files);
    }

    /// <summary>The BEP 48 scrape URL of an announce URL (last path segment "announce" replaced), or null.</summary>
    public static Uri? ScrapeUri(Uri announceUri)
    {
        ArgumentNullException.ThrowIfNull(announceUri);
        var path = announceUri.AbsolutePath;
        var slash = path.LastIndexOf('/');
        if (slash < 0 || !path.AsSpan(slash + 1).StartsWith("announce", StringComparison.Ordinal)) return null;
        var builder = new UriBuilder(announceUri) { Path = string.Concat(path.AsSpan(0, slash + 1), "scrape", path.AsSpan(slash + 1 + "announce".Length)) };
        return builder.Uri;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    internal static AnnounceResponse ParseAnnounce(BencodeDictionary dictionary)
    {
        var peers = new List<IPEndPoint>();
        switch (dictionary.TryGetValue("peers", out var peersValue) ? peersValue : null)
        {
            case BencodeString compact:
                ReadCompact(compact.Span, 4, peers);
                break;
            case BencodeList list:
                foreach (var item in list)
                {
                    if (item is BencodeDictionary peer && IPAddress.TryParse(peer.GetText("ip"), out var ip)
                        && peer.GetInt64("port") is { } port and > 0 and <= 65535)
                        peers.Add(new IPEndPoint(ip, (int)port));
                }
                break;
        }
        if (dictionary.Get<BencodeString>("peers6") is { } peers6) ReadCompact(peers6.Span, 16, peers);

        var interval = dictionary.GetInt64("interval") ?? 1800;
        var minInterval = dictionary.GetInt64("min interval");
        return new AnnounceResponse(
            TimeSpan.FromSeconds(Math.Clamp(interval, 1, 86_400)),
            minInterval is { } min ? TimeSpan.FromSeconds(Math.Clamp(min, 0, 86_400)) : null,
            dictionary.GetText("tracker id"),
            ToInt(dictionary.GetInt64("complete")),
            ToInt(dictionary.GetInt64("incomplete")),
            peers,
            dictionary.GetText("warning message"));
    }

    internal static void ReadCompact(ReadOnlySpan<byte> bytes, int addressLength, List<IPEndPoint> peers)
    {
        var size = addressLength + 2;
        for (var offset = 0; offset + size <= bytes.Length; offset += size)
        {
            var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + addressLength)..]);
            if (port == 0) continue;
            peers.Add(new IPEndPoint(new IPAddress(bytes.Slice(offset, addressLength)), port));
        }
    }

    private static int? ToInt(long? value) => value is { } v ? (int)Math.Clamp(v, 0, int.MaxValue) : null;

    private static BencodeDictionary Decode(byte[] body)
    {
        BencodeDictionary dictionary;
        try
        {
            dictionary = BencodeSerializer.DecodeDictionary(body, BencodeReaderOptions.Lenient);
        }
        catch (BencodeException e)
        {
            throw new TrackerException("The tracker's response is not bencoded: " + e.Message, e);
        }
        catch (InvalidCastException e)
        {
            throw new TrackerException("The tracker's response is not a bencoded dictionary.", e);
        }
        if (dictionary.GetText("failure reason") is { } failure) throw new TrackerException(failure) { IsFailureReason = true };
        return dictionary;
    }

    private async Task<byte[]> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await GetOnceAsync(uri, cancellationToken);
            }
            catch (HttpRequestException e) when (e.InnerException is IOException && !cancellationToken.IsCancellationRequested)
            {
                // Trackers that close idle keep-alive connections (opentracker does) can reset the pooled connection a
                // request goes out on: one attempt on a fresh connection tells that apart from a tracker that is down.
                return await GetOnceAsync(uri, cancellationToken);
            }
        }
        catch (HttpRequestException e)
        {
            throw new TrackerException($"Cannot reach {uri.GetLeftPart(UriPartial.Path)}: {e.Message}", e);
        }
    }

    private async Task<byte[]> GetOnceAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await BoundedHttpBody.ReadAsync(response, _maxResponseSize, uri, cancellationToken);
        if (!response.IsSuccessStatusCode && body.Length == 0)
            throw new TrackerException($"The tracker answered HTTP {(int)response.StatusCode}.");
        return body;
    }

    internal static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                builder.Append((char)b);
            else
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
