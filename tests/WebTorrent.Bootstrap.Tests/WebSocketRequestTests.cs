using System.Text;
using System.Text.Json;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap.Tests;

public sealed class WebSocketRequestTests
{
    private static string Latin1(byte[] id) => Encoding.Latin1.GetString(id);

    private static byte[] Bytes(byte start) => Enumerable.Range(start, 20).Select(i => (byte)i).ToArray();

    [Fact]
    public void Parses_announce_with_offers_and_ids_holding_control_and_high_latin1_chars()
    {
        var infoHash = Bytes(0);      // 0x00..0x13: JSON-escaped control characters
        var peerId = Bytes(0xE0);     // 0xE0..0xF3: two-byte UTF-8 on the wire
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["action"] = "announce", ["info_hash"] = Latin1(infoHash), ["peer_id"] = Latin1(peerId), ["numwant"] = 2,
            ["event"] = "started", ["left"] = 0, ["uploaded"] = 0,
            ["offers"] = new[]
            {
                new Dictionary<string, object> { ["offer"] = new { type = "offer", sdp = "v=0\r\n1" }, ["offer_id"] = Latin1(Bytes(40)) },
                new Dictionary<string, object> { ["offer_id"] = Latin1(Bytes(60)), ["offer"] = new { type = "offer", sdp = "v=0\r\n2" } },
            },
        });
        var bytes = Encoding.UTF8.GetBytes(json);
        var request = new WebSocketRequest(10, 10);
        request.Parse(bytes);

        Assert.False(request.IsScrape);
        Assert.Equal(new Id20(infoHash), request.InfoHash);
        Assert.Equal(new Id20(peerId), request.PeerId);
        Assert.Equal(AnnounceEvent.Started, request.Event);
        Assert.True(request.Complete);
        Assert.Equal(2, request.OfferCount);
        Assert.Equal(new Id20(Bytes(60)), request.OfferIds[1]);
        using var offer = JsonDocument.Parse(bytes.AsMemory()[request.OfferRanges[1]]);
        Assert.Equal("v=0\r\n2", offer.RootElement.GetProperty("sdp").GetString());
    }

    [Fact]
    public void Extra_offers_beyond_the_limit_are_ignored()
    {
        var offers = string.Join(',', Enumerable.Range(0, 5).Select(i => $"{{\"offer\":{{\"type\":\"offer\",\"sdp\":\"{i}\"}},\"offer_id\":\"{new string((char)('a' + i), 20)}\"}}"));
        var request = new WebSocketRequest(2, 10);
        request.Parse(Encoding.UTF8.GetBytes($"{{\"action\":\"announce\",\"info_hash\":\"{new string('i', 20)}\",\"peer_id\":\"{new string('p', 20)}\",\"offers\":[{offers}]}}"));
        Assert.Equal(2, request.OfferCount);
    }

    [Theory]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"short\",\"peer_id\":\"pppppppppppppppppppp\"}", "invalid info_hash")]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"iiiiiiiiiiiiiiiiiiiii\",\"peer_id\":\"pppppppppppppppppppp\"}", "invalid info_hash")]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"iiiiiiiiiiiiiiiiiiii\",\"peer_id\":\"ppppppppppppppppppp\\u0100\"}", "invalid peer_id")]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"iiiiiiiiiiiiiiiiiiii\"}", "invalid peer_id")]
    [InlineData("{\"action\":\"dance\"}", "invalid action")]
    [InlineData("{\"info_hash\":\"iiiiiiiiiiiiiiiiiiii\"}", "missing action")]
    [InlineData("[1,2]", "request is not a JSON object")]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"iiiiiiiiiiiiiiiiiiii\",\"peer_id\":\"pppppppppppppppppppp\",\"answer\":{\"sdp\":\"x\"}}", "invalid `to_peer_id` (required with `answer`)")]
    [InlineData("{\"action\":\"announce\",\"info_hash\":\"iiiiiiiiiiiiiiiiiiii\",\"peer_id\":\"pppppppppppppppppppp\",\"event\":\"exploded\"}", "invalid event")]
    public void Invalid_requests_are_refused_with_a_reason(string json, string reason)
    {
        var e = Assert.Throws<TrackerRequestException>(() => new WebSocketRequest(5, 5).Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(reason, e.Message);
    }

    [Fact]
    public void Scrape_of_one_or_many_info_hashes()
    {
        var request = new WebSocketRequest(5, 5);
        request.Parse(Encoding.UTF8.GetBytes($"{{\"action\":\"scrape\",\"info_hash\":[\"{new string('a', 20)}\",\"{new string('b', 20)}\"]}}"));
        Assert.True(request.IsScrape);
        Assert.Equal(2, request.ScrapeCount);
        request.Parse(Encoding.UTF8.GetBytes($"{{\"action\":\"scrape\",\"info_hash\":\"{new string('c', 20)}\"}}"));
        Assert.Equal(1, request.ScrapeCount);
        Assert.Equal(new Id20(Encoding.ASCII.GetBytes(new string('c', 20))), request.ScrapeInfoHashes[0]);
    }

    [Fact]
    public void Random_and_mutated_input_only_ever_fails_with_a_typed_exception()
    {
        var random = new Random(12345);
        var valid = Encoding.UTF8.GetBytes($"{{\"action\":\"announce\",\"info_hash\":\"{new string('i', 20)}\",\"peer_id\":\"{new string('p', 20)}\",\"offers\":[{{\"offer\":{{\"type\":\"offer\",\"sdp\":\"x\"}},\"offer_id\":\"{new string('o', 20)}\"}}],\"answer\":{{\"a\":1}},\"to_peer_id\":\"{new string('t', 20)}\",\"offer_id\":\"{new string('o', 20)}\"}}");
        var request = new WebSocketRequest(5, 5);
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])valid.Clone();
                for (var m = random.Next(1, 4); m > 0; m--) input[random.Next(input.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0) input = input[..random.Next(input.Length)];
            }
            try
            {
                request.Parse(input);
            }
            catch (TrackerRequestException)
            {
            }
            catch (JsonException)
            {
            }
        }
    }
}
