using System.Net;

namespace WebTorrent.Tracker;

/// <summary>The announce <c>event</c> (BEP 3; numbered as in BEP 15).</summary>
public enum TrackerEvent
{
    /// <summary>A regular announce at the interval.</summary>
    None = 0,

    /// <summary>The download just completed.</summary>
    Completed = 1,

    /// <summary>The first announce of a torrent.</summary>
    Started = 2,

    /// <summary>The torrent is being stopped.</summary>
    Stopped = 3,
}

/// <summary>What a client tells a tracker in one announce.</summary>
public sealed record AnnounceRequest
{
    /// <summary>The 20-byte info-hash.</summary>
    public required ReadOnlyMemory<byte> InfoHash { get; init; }

    /// <summary>Our 20-byte peer id.</summary>
    public required ReadOnlyMemory<byte> PeerId { get; init; }

    /// <summary>The TCP port we accept peers on (0 for WebRTC-only).</summary>
    public int Port { get; init; }

    /// <summary>Bytes uploaded so far.</summary>
    public long Uploaded { get; init; }

    /// <summary>Bytes downloaded so far.</summary>
    public long Downloaded { get; init; }

    /// <summary>Bytes left to download (0 for a seeder).</summary>
    public long Left { get; init; }

    /// <summary>The event, <see cref="TrackerEvent.None"/> for a regular announce.</summary>
    public TrackerEvent Event { get; init; }

    /// <summary>Peers wanted; for WebSocket trackers, the number of WebRTC offers sent. Default 50.</summary>
    public int NumWant { get; init; } = 50;

    /// <summary>The <c>key</c>: a random number identifying us across IP changes.</summary>
    public uint Key { get; init; }

    /// <summary>The <c>trackerid</c> a previous response gave, or null.</summary>
    public string? TrackerId { get; init; }

    internal void Validate()
    {
        if (InfoHash.Length != 20) throw new ArgumentException("The info-hash is 20 bytes.", nameof(InfoHash));
        if (PeerId.Length != 20) throw new ArgumentException("The peer id is 20 bytes.", nameof(PeerId));
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port));
    }
}

/// <summary>A tracker's answer to an announce.</summary>
/// <param name="Interval">How long to wait before the next regular announce.</param>
/// <param name="MinInterval">The minimum time between announces, when the tracker says.</param>
/// <param name="TrackerId">The <c>tracker id</c> to send back next time, when given.</param>
/// <param name="Complete">Seeders, when reported.</param>
/// <param name="Incomplete">Leechers, when reported.</param>
/// <param name="Peers">Peers' TCP endpoints (IPv4 and IPv6; empty for WebSocket trackers).</param>
/// <param name="WarningMessage">A <c>warning message</c>, when given.</param>
public sealed record AnnounceResponse(
    TimeSpan Interval, TimeSpan? MinInterval, string? TrackerId, int? Complete, int? Incomplete,
    IReadOnlyList<IPEndPoint> Peers, string? WarningMessage);

/// <summary>Counts for one torrent in a scrape.</summary>
/// <param name="Complete">Seeders.</param>
/// <param name="Downloaded">Completed downloads the tracker has seen.</param>
/// <param name="Incomplete">Leechers.</param>
public sealed record ScrapeEntry(int Complete, int Downloaded, int Incomplete);

/// <summary>A scrape's result: counts per info-hash, keyed by the info-hash as 40 lowercase hex digits.</summary>
/// <param name="Files">Counts by info-hash (hex).</param>
public sealed record ScrapeResponse(IReadOnlyDictionary<string, ScrapeEntry> Files);

/// <summary>A tracker refused a request (<c>failure reason</c>) or sent something we cannot read.</summary>
public sealed class TrackerException : Exception
{
    /// <summary>Creates an exception.</summary>
    public TrackerException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public TrackerException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public TrackerException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>True when the tracker itself refused the request (its <c>failure reason</c> is the message).</summary>
    public bool IsFailureReason { get; init; }
}

/// <summary>A client of one HTTP or UDP tracker URL.</summary>
public interface ITrackerClient : IDisposable
{
    /// <summary>The tracker's URL.</summary>
    Uri Uri { get; }

    /// <summary>Announces; throws <see cref="TrackerException"/> when the tracker refuses or answers garbage, or cannot be reached.</summary>
    Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Scrapes the given 20-byte info-hashes (BEP 48 / BEP 15).</summary>
    Task<ScrapeResponse> ScrapeAsync(IReadOnlyList<ReadOnlyMemory<byte>> infoHashes, CancellationToken cancellationToken = default);
}
