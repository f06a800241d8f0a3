using System.Text;
using FsCheck.Xunit;
using MagnetUri;

namespace MagnetUri.Tests;

/// <summary>Random input never crashes the parser; everything it accepts has a canonical form that round-trips.</summary>
public class PropertyTests
{
    private static readonly string[] Seeds =
    [
        "magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&dn=Leaves+of+Grass&tr=udp%3A%2F%2Ftracker.example4.com%3A80",
        "magnet:?xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6&kt=joe+blow+mp3&xl=10826029&so=0,2,4-6",
        "magnet:?xt.1=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&x.pe=[::1]:6881&x.pe=1.2.3.4:5&ws=http%3A%2F%2Fw%2F",
        "magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&as=http%3A%2F%2Fa&xs=dchub://example.org&ix=1&dn=%C3%9Cn%F0%9F%8E%AC",
    ];

    private const string Alphabet = "abcxyzXT0123456789:/.-_~+%&=?#[]@!*'() ,éü日🎬";

    [Property(MaxTest = 2000)]
    public void Arbitrary_text_never_throws_anything_but_a_format_exception(string? text)
    {
        if (text is null) return;
        AssertParsesOrRejects(text);
        AssertParsesOrRejects("magnet:?" + text);
        AssertParsesOrRejects("magnet:?xt=" + text);
        AssertParsesOrRejects("magnet:?x.pe=" + text + "&so=" + text);
    }

    [Fact]
    public void Mutated_links_never_crash_and_accepted_ones_are_stable()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 20_000; i++)
        {
            var text = Mutate(Seeds[random.Next(Seeds.Length)], random);
            var link = AssertParsesOrRejects(text);
            if (link is null) continue;

            // What we accept has a canonical form that parses back to the same meaning.
            var canonical = link.ToString();
            var again = MagnetLink.Parse(canonical);
            Assert.Equal(link, again);
            Assert.Equal(canonical, again.ToString());
        }
    }

    [Fact]
    public void Random_links_round_trip()
    {
        var random = new Random(42);
        for (var i = 0; i < 3_000; i++)
        {
            var link = RandomLink(random);
            var text = link.ToString();
            var parsed = MagnetLink.Parse(text);
            Assert.Equal(link, parsed);
            Assert.Equal(text, parsed.ToString());
        }
    }

    [Fact]
    public void Lenient_mode_accepts_every_link_with_the_scheme()
    {
        var random = new Random(99);
        var lenient = new MagnetLinkParseOptions { SkipInvalidParameters = true };
        for (var i = 0; i < 5_000; i++)
        {
            var text = "magnet:?" + RandomText(random, 60);
            Assert.True(MagnetLink.TryParse(text, lenient, out _), text);
        }
    }

    private static MagnetLink? AssertParsesOrRejects(string text)
    {
        try
        {
            var link = MagnetLink.Parse(text);
            Assert.Equal(link is not null, MagnetLink.TryParse(text, out _));
            return link;
        }
        catch (MagnetUriFormatException)
        {
            Assert.False(MagnetLink.TryParse(text, out _));
            return null;
        }
    }

    private static string Mutate(string seed, Random random)
    {
        var builder = new StringBuilder(seed);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(builder.Length + 1);
            switch (random.Next(5))
            {
                case 0 when builder.Length > 0 && at < builder.Length:
                    builder.Remove(at, Math.Min(random.Next(1, 8), builder.Length - at));
                    break;
                case 1:
                    builder.Insert(at, RandomText(random, 6));
                    break;
                case 2 when at < builder.Length:
                    builder[at] = Alphabet[random.Next(Alphabet.Length - 2)];
                    break;
                case 3:
                    builder.Insert(at, (char)random.Next(0xD800, 0xE000)); // lone surrogate
                    break;
                default:
                    builder.Insert(at, "%" + random.Next(256).ToString("X2"));
                    break;
            }
        }

        return builder.ToString();
    }

    private static string RandomText(Random random, int maxLength)
    {
        var builder = new StringBuilder();
        var length = random.Next(maxLength + 1);
        for (var i = 0; i < length; i++)
        {
            if (random.Next(20) == 0) builder.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1F600)));
            else builder.Append(Alphabet[random.Next(Alphabet.Length - 2)]);
        }

        return builder.ToString();
    }

    private static string RandomValue(Random random, int maxLength = 20)
    {
        var text = RandomText(random, maxLength);
        return text;
    }

    private static MagnetLink RandomLink(Random random)
    {
        var hashes = new List<InfoHash>();
        var bytes = new byte[32];
        for (var i = random.Next(3); i > 0; i--)
        {
            random.NextBytes(bytes);
            hashes.Add(random.Next(2) == 0 ? InfoHash.FromV1(bytes.AsSpan(0, 20)) : InfoHash.FromV2(bytes));
        }

        List<string> Distinct(int max, Func<string> make) => Enumerable.Range(0, random.Next(max + 1)).Select(_ => make()).Distinct(StringComparer.Ordinal).ToList();
        var peers = Enumerable.Range(0, random.Next(3)).Select(i => random.Next(3) switch
        {
            0 => new PeerAddress($"10.0.{random.Next(256)}.{i}", random.Next(1, 65536)),
            1 => new PeerAddress($"fe80::{random.Next(0xffff):x}:{i}", random.Next(1, 65536)),
            _ => new PeerAddress($"peer{i}.exämple", random.Next(1, 65536)),
        }).ToList();
        var extraKeys = new[] { "ix", "foo", "x.bar", "a b", "k%", "é" };

        return new MagnetLink
        {
            InfoHashes = [.. hashes.Distinct()],
            OtherExactTopics = [.. Distinct(2, () => "urn:ed2k:" + RandomValue(random)).Where(t => !t.StartsWith("urn:bt", StringComparison.OrdinalIgnoreCase))],
            DisplayName = random.Next(4) == 0 ? null : RandomValue(random, 40),
            ExactLength = random.Next(3) == 0 ? null : random.NextInt64(0, long.MaxValue),
            Trackers = [.. Distinct(4, () => "udp://" + RandomValue(random) + ":6969/announce")],
            WebSeeds = [.. Distinct(2, () => "https://" + RandomValue(random))],
            AcceptableSources = [.. Distinct(2, () => "http://" + RandomValue(random))],
            ExactSources = [.. Distinct(2, () => "http://" + RandomValue(random))],
            Keywords = [.. Enumerable.Range(0, random.Next(3)).Select(_ => "k" + RandomValue(random, 8))],
            PeerAddresses = [.. peers],
            SelectOnly = [.. Enumerable.Range(0, random.Next(3)).Select(i => new FileIndexRange(i * 10, i * 10 + random.Next(5)))],
            Extra = [.. Enumerable.Range(0, random.Next(3)).Select(_ => new KeyValuePair<string, string>(extraKeys[random.Next(extraKeys.Length)], RandomValue(random)))],
        };
    }
}
