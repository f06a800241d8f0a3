using System.Net;
using WebTorrent.Metainfo;

namespace WebTorrent;

/// <summary>How one torrent is added to a <see cref="WebTorrentClient"/>.</summary>
public sealed record AddTorrentOptions
{
    /// <summary>Where this torrent's files go; null uses <see cref="WebTorrentClientOptions.DownloadFolder"/>.</summary>
    public string? DownloadFolder { get; init; }

    /// <summary>Add the torrent paused: nothing is checked, connected or downloaded until <see cref="Torrent.ResumeAsync"/>.</summary>
    public bool Paused { get; init; }

    /// <summary>Download pieces in order instead of rarest first.</summary>
    public bool Sequential { get; init; }

    /// <summary>
    /// The files to download, by <see cref="TorrentFile.Index"/>; the others are skipped. Null downloads everything, or
    /// what a magnet link's BEP 53 <c>so</c> selects.
    /// </summary>
    public IReadOnlyCollection<int>? SelectedFiles { get; init; }

    /// <summary>Peers to connect to at once.</summary>
    public IReadOnlyCollection<IPEndPoint>? Peers { get; init; }
}

/// <summary>How <see cref="WebTorrentClient.SeedAsync(string, SeedOptions?, CancellationToken)"/> creates the torrent it seeds.</summary>
public sealed record SeedOptions
{
    /// <summary>
    /// The torrent's name; null (the default) uses the file or folder name. The data is seeded in place, so a different
    /// name is only accepted for <see cref="WebTorrentClient.SeedAsync(TorrentMetainfo, string, CancellationToken)"/>.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>Piece length; null chooses one from the size.</summary>
    public int? PieceLength { get; init; }

    /// <summary>v1 (default), v2 or hybrid.</summary>
    public TorrentVersion Version { get; init; } = TorrentVersion.V1;

    /// <summary>Tracker URLs in tiers (BEP 12).</summary>
    public IReadOnlyList<IReadOnlyList<string>>? AnnounceList { get; init; }

    /// <summary>Web seed URLs (BEP 19).</summary>
    public IReadOnlyList<string>? UrlList { get; init; }

    /// <summary>A comment.</summary>
    public string? Comment { get; init; }

    /// <summary>Mark the torrent private (BEP 27): no DHT, PEX or local discovery.</summary>
    public bool Private { get; init; }

    /// <summary>Skip hidden and junk files in a folder. Default true.</summary>
    public bool FilterJunkFiles { get; init; } = true;

    /// <summary>Options for the torrent once added (its <see cref="AddTorrentOptions.DownloadFolder"/> is ignored: the data is seeded in place).</summary>
    public AddTorrentOptions? AddOptions { get; init; }

    internal TorrentCreationOptions ToCreationOptions() => new()
    {
        Name = Name,
        PieceLength = PieceLength,
        Version = Version,
        AnnounceList = AnnounceList,
        UrlList = UrlList,
        Comment = Comment,
        Private = Private,
        FilterJunkFiles = FilterJunkFiles,
        CreatedBy = "WebTorrent.NET",
    };
}
