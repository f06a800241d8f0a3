using MagnetUri;
using WebTorrent.Metainfo;

namespace WebTorrent.Discovery;

/// <summary>Builds <see cref="DiscoveryTarget.TrackerTiers"/> from a .torrent or a magnet link.</summary>
public static class TrackerTiers
{
    /// <summary>
    /// The .torrent's BEP 12 tiers (<c>announce-list</c>, else <c>announce</c> alone), each URL once, URLs that are not
    /// absolute skipped.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Uri>> From(TorrentMetainfo torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return Build(torrent.AnnounceList);
    }

    /// <summary>
    /// A magnet's trackers (<c>tr</c>), one tier each in the link's order (as libtorrent does): the first that answers
    /// is the one announced to.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Uri>> From(MagnetLink magnet)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        return Build(magnet.Trackers.Select(t => (IReadOnlyList<string>)[t]));
    }

    /// <summary>Tiers from URL strings: each URL once (the first tier naming it keeps it), unusable URLs and empty tiers dropped.</summary>
    public static IReadOnlyList<IReadOnlyList<Uri>> Build(IEnumerable<IReadOnlyList<string>> tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<IReadOnlyList<Uri>>();
        foreach (var tier in tiers)
        {
            var uris = new List<Uri>();
            foreach (var text in tier)
            {
                if (Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var uri) && seen.Add(uri.AbsoluteUri)) uris.Add(uri);
            }
            if (uris.Count > 0) result.Add(uris);
        }
        return result;
    }
}
