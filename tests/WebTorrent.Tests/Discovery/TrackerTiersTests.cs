using MagnetUri;
using WebTorrent.Discovery;
using WebTorrent.Metainfo;

namespace WebTorrent.Tests.Discovery;

public class TrackerTiersTests
{
    [Fact]
    public async Task A_torrents_announce_list_keeps_its_tiers_and_drops_duplicates_and_bad_urls()
    {
        var torrent = await TorrentCreator.CreateAsync(new MemoryStream(new byte[100]), "x", new TorrentCreationOptions
        {
            AnnounceList = [["http://a/announce", "udp://b:1"], ["udp://b:1", "not a url", "wss://c"], ["::"]],
        });
        var tiers = TrackerTiers.From(torrent);
        Assert.Equal([[new Uri("http://a/announce"), new Uri("udp://b:1")], [new Uri("wss://c")]], tiers);
    }

    [Fact]
    public void A_magnets_trackers_are_one_tier_each()
    {
        var magnet = MagnetLink.Parse("magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&tr=udp%3A%2F%2Fa%3A1&tr=http%3A%2F%2Fb%2Fannounce");
        Assert.Equal([[new Uri("udp://a:1")], [new Uri("http://b/announce")]], TrackerTiers.From(magnet));
    }
}
