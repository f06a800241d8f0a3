using System.Text;
using FsCheck.Xunit;
using MagnetUri;
using WebTorrent.Discovery;

namespace WebTorrent.Tests.Discovery;

/// <summary>The BEP 14 BT-SEARCH parser and writer: known messages, bounds, round trips, and random input.</summary>
public class LsdMessageTests
{
    private const string Hash1 = "c9e15763f722f23e98a29decdfae341b98d53056";
    private const string Hash2 = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public void Reads_a_libtorrent_style_message_with_several_info_hashes()
    {
        var text = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
                   $"Infohash: {Hash1.ToUpperInvariant()}\r\nInfohash: {Hash2}\r\ncookie: 5a1b\r\n\r\n\r\n";
        var message = LsdMessage.Parse(Encoding.ASCII.GetBytes(text));
        Assert.Equal("239.192.152.143:6771", message.Host);
        Assert.Equal(6881, message.Port);
        Assert.Equal([InfoHash.Parse(Hash1), InfoHash.Parse(Hash2)], message.InfoHashes);
        Assert.Equal("5a1b", message.Cookie);
    }

    [Fact]
    public void Header_names_are_case_insensitive_bare_newlines_are_accepted_and_unknown_headers_ignored()
    {
        var text = $"BT-SEARCH * HTTP/1.1\nHOST: [ff15::efc0:988f]:6771\nport:  51413 \nX-Other: yes\nINFOHASH: {Hash1}\n\n";
        var message = LsdMessage.Parse(Encoding.ASCII.GetBytes(text));
        Assert.Equal(51413, message.Port);
        Assert.Null(message.Cookie);
        Assert.Single(message.InfoHashes);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nPort: 1\r\nInfohash: " + Hash1 + "\r\n\r\n", "Not a BT-SEARCH")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nInfohash: " + Hash1 + "\r\n\r\n", "No Port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n", "No Infohash")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: " + Hash1 + "\r\n\r\n", "not a port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\nInfohash: " + Hash1 + "\r\n\r\n", "not a port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: -5\r\nInfohash: " + Hash1 + "\r\n\r\n", "not a port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nPort: 2\r\nInfohash: " + Hash1 + "\r\n\r\n", "Two Port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: c9e15763f722f23e98a29decdfae341b98d5305\r\n\r\n", "40 hex")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: zze15763f722f23e98a29decdfae341b98d53056\r\n\r\n", "40 hex")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + Hash1 + "\r\n", "empty line")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nno colon here\r\n\r\n", "without a name")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\ncookie: a\u0001b\r\nInfohash: " + Hash1 + "\r\n\r\n", "printable")]
    public void Bad_messages_are_typed_errors(string text, string reason)
    {
        var error = Assert.Throws<LocalDiscoveryFormatException>(() => LsdMessage.Parse(Encoding.Latin1.GetBytes(text)));
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Limits_bound_the_size_the_info_hashes_and_the_header_lines()
    {
        var many = new StringBuilder("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n");
        for (var i = 0; i < 5; i++) many.Append(CultureInfo(i)).Append("\r\n");
        many.Append("\r\n");
        Assert.Equal(5, LsdMessage.Parse(Encoding.ASCII.GetBytes(many.ToString()), maxInfoHashes: 5).InfoHashes.Count);
        Assert.Contains("More than 4", Assert.Throws<LocalDiscoveryFormatException>(() => LsdMessage.Parse(Encoding.ASCII.GetBytes(many.ToString()), maxInfoHashes: 4)).Message);

        var lines = new StringBuilder("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n");
        for (var i = 0; i < 100; i++) lines.Append("X: y\r\n");
        Assert.Contains("header lines", Assert.Throws<LocalDiscoveryFormatException>(() => LsdMessage.Parse(Encoding.ASCII.GetBytes(lines + "\r\n"))).Message);

        var huge = new byte[LsdMessage.MaxMessageSize + 1];
        Assert.Contains("limit", Assert.Throws<LocalDiscoveryFormatException>(() => LsdMessage.Parse(huge)).Message);

        static string CultureInfo(int i) => "Infohash: " + Convert.ToHexStringLower(Enumerable.Repeat((byte)i, 20).ToArray());
    }

    [Fact]
    public void Writing_more_than_fits_in_one_datagram_is_refused()
    {
        var hashes = Enumerable.Range(0, 30).Select(i => InfoHash.FromV1(Enumerable.Repeat((byte)i, 20).ToArray())).ToList();
        var message = new LsdMessage("239.192.152.143:6771", 1, hashes, "c");
        Assert.Throws<ArgumentException>(() => message.ToArray());
    }

    [Property(MaxTest = 300)]
    public bool Written_messages_read_back(ushort port, byte[][] seeds, uint cookie)
    {
        if (port == 0 || seeds is null) return true;
        var hashes = seeds.Where(s => s is not null).Take(20)
            .Select(s => InfoHash.FromV1(System.Security.Cryptography.SHA1.HashData(s))).Distinct().ToList();
        if (hashes.Count == 0) return true;
        var message = new LsdMessage("239.192.152.143:6771", port, hashes, cookie.ToString("x"));
        var read = LsdMessage.Parse(message.ToArray(), maxInfoHashes: 20);
        return read.Port == port && read.InfoHashes.SequenceEqual(hashes) && read.Cookie == message.Cookie && read.Host == message.Host;
    }

    [Property(MaxTest = 2000)]
    public void Random_bytes_only_ever_give_a_typed_error(byte[] bytes)
    {
        if (bytes is null) return;
        Check(bytes);
        Check([.. "BT-SEARCH * HTTP/1.1\r\n"u8.ToArray(), .. bytes]);
    }

    [Fact]
    public void Mutated_messages_never_crash_the_parser()
    {
        var seed = new LsdMessage("239.192.152.143:6771", 6881, [InfoHash.Parse(Hash1), InfoHash.Parse(Hash2)], "abc").ToArray();
        var random = new Random(14);
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = seed.ToList();
            for (var m = random.Next(1, 4); m > 0 && mutated.Count > 0; m--)
            {
                var at = random.Next(mutated.Count);
                switch (random.Next(3))
                {
                    case 0: mutated[at] = (byte)random.Next(256); break;
                    case 1: mutated.RemoveAt(at); break;
                    default: mutated.Insert(at, (byte)"\r\n:0aF "[random.Next(6)]); break;
                }
            }
            if (Check([.. mutated]) is { } message)
            {
                accepted++;
                Assert.InRange(message.Port, 1, 65535);
                Assert.All(message.InfoHashes, h => Assert.Equal(20, h.Length));
            }
        }
        Assert.InRange(accepted, 1, 19_999);
    }

    private static LsdMessage? Check(byte[] bytes)
    {
        try
        {
            return LsdMessage.Parse(bytes);
        }
        catch (LocalDiscoveryFormatException)
        {
            return null;
        }
    }
}
