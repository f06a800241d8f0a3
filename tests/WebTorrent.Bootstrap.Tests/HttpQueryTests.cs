using WebTorrent.Bootstrap.Http;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap.Tests;

public sealed class HttpQueryTests
{
    [Fact]
    public void Parses_percent_encoded_binary_ids_and_numbers()
    {
        var q = HttpTrackerQuery.ParseAnnounce("?info_hash=%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%FF%FE&peer_id=-WT0001-abcdefghijkl&port=6881&left=0&event=completed&numwant=5&compact=1");
        Assert.Equal(new Id20([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0xFF, 0xFE]), q.InfoHash);
        Assert.Equal(6881, q.Port);
        Assert.Equal(AnnounceEvent.Completed, q.Event);
        Assert.Equal(5, q.NumWant);
        Assert.True(q.HasLeft);
        Assert.Equal(0, q.Left);
    }

    [Theory]
    [InlineData("info_hash=abc&peer_id=-WT0001-abcdefghijkl&port=1")]
    [InlineData("info_hash=%GG345678901234567890&peer_id=-WT0001-abcdefghijkl&port=1")]
    [InlineData("info_hash=123456789012345678901&peer_id=-WT0001-abcdefghijkl&port=1")]
    [InlineData("info_hash=12345678901234567890&peer_id=-WT0001-abcdefghijkl&port=70000")]
    [InlineData("info_hash=12345678901234567890&port=1")]
    [InlineData("info_hash=12345678901234567890&peer_id=-WT0001-abcdefghijkl&port=1&event=boom")]
    public void Refuses_malformed_announces(string query) =>
        Assert.Throws<TrackerRequestException>(() => HttpTrackerQuery.ParseAnnounce(query));

    [Fact]
    public void Scrape_collects_every_info_hash_up_to_the_limit()
    {
        var ids = new Id20[2];
        Assert.Equal(2, HttpTrackerQuery.ParseScrape("info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=bbbbbbbbbbbbbbbbbbbb", ids));
        Assert.Throws<TrackerRequestException>(() => HttpTrackerQuery.ParseScrape("info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=bbbbbbbbbbbbbbbbbbbb&info_hash=cccccccccccccccccccc", new Id20[2]));
    }
}
