using MagnetUri;

namespace MagnetUri.Tests;

/// <summary>Cases from the behaviour of npm magnet-uri's decode/encode tests, written against our API.</summary>
public class ConformanceTests
{
    private const string LeavesOfGrass = "magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&dn=Leaves+of+Grass+by+Walt+Whitman.epub&tr=udp%3A%2F%2Ftracker.example4.com%3A80&tr=udp%3A%2F%2Ftracker.example5.com%3A80&tr=udp%3A%2F%2Ftracker.example3.com%3A6969&tr=udp%3A%2F%2Ftracker.example2.com%3A80&tr=udp%3A%2F%2Ftracker.example1.com%3A1337";

    private const string Mediawiki = "magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&xt=urn:tree:tiger:7N5OAMRNGMSSEUE3ORHOKWN4WWIQ5X4EBOOTLJY&xt=urn:btih:QHQXPYWMACKDWKP47RRVIV7VOURXFE5Q&xl=10826029&dn=mediawiki-1.15.1.tar.gz&tr=udp%3A%2F%2Ftracker.example4.com%3A80%2Fannounce&as=http%3A%2F%2Fdownload.wikimedia.org%2Fmediawiki%2F1.15%2Fmediawiki-1.15.1.tar.gz&xs=http%3A%2F%2Fcache.example.org%2FXRX2PEFXOOEJFRVUCX6HMZMKS5TWG4K5&xs=dchub://example.org";

    [Fact]
    public void Decodes_hex_info_hash_name_and_trackers_in_order()
    {
        var link = MagnetLink.Parse(LeavesOfGrass);
        Assert.Equal("d2474e86c95b19b8bcfdb92bc12c9d44667cfa36", link.InfoHashV1!.Value.ToHex());
        Assert.Equal(InfoHashVersion.V1, Assert.Single(link.InfoHashes).Version);
        Assert.Equal("Leaves of Grass by Walt Whitman.epub", link.DisplayName);
        Seq.Equal(
            ["udp://tracker.example4.com:80", "udp://tracker.example5.com:80", "udp://tracker.example3.com:6969", "udp://tracker.example2.com:80", "udp://tracker.example1.com:1337"],
            link.Trackers);
        Assert.Null(link.InfoHashV2);
    }

    [Theory]
    [InlineData("magnet:")]
    [InlineData("magnet:?")]
    [InlineData("MAGNET:?")]
    [InlineData("  magnet:?  ")]
    public void Empty_magnet_links_parse_to_an_empty_link(string text)
    {
        var link = MagnetLink.Parse(text);
        Assert.Equal(new MagnetLink(), link);
        Assert.Empty(link.InfoHashes);
        Assert.Empty(link.Trackers);
        Assert.Equal("magnet:?", link.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://example.com/?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36")]
    [InlineData("magnet:xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36")]
    [InlineData("magnetic:?xt=1")]
    public void Not_a_magnet_link_throws_without_a_parameter(string text)
    {
        var error = Assert.Throws<MagnetUriFormatException>(() => MagnetLink.Parse(text));
        Assert.Null(error.Parameter);
        Assert.False(MagnetLink.TryParse(text, out _));
    }

    [Fact]
    public void Empty_values_of_unknown_keys_are_kept()
    {
        var link = MagnetLink.Parse("magnet:?a=&b=&c=");
        Seq.Equal([new("a", ""), new("b", ""), new("c", "")], link.Extra);
        Assert.Equal("magnet:?a=&b=&c=", link.ToString());
    }

    [Theory]
    [InlineData("magnet:?xt=urn:btih:===", "xt")]
    [InlineData("magnet:?xt=urn:btih:", "xt")]
    [InlineData("magnet:?xt=", "xt")]
    [InlineData("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa3", "xt")]
    [InlineData("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36a", "xt")]
    [InlineData("magnet:?xt=urn:btih:g2474e86c95b19b8bcfdb92bc12c9d44667cfa36", "xt")]
    [InlineData("magnet:?xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL1", "xt")]
    [InlineData("magnet:?xt=urn:btmh:1220d2474e86c95b19b8bcfdb92bc12c9d44667cfa36", "xt")]
    [InlineData("magnet:?xt=urn:btmh:1114caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e", "xt")]
    [InlineData("magnet:?dn=%E0%A4%A", "dn")]
    [InlineData("magnet:?dn=%ZZ", "dn")]
    [InlineData("magnet:?dn=%C3%28", "dn")]
    [InlineData("magnet:?tr=%", "tr")]
    [InlineData("magnet:?tr.1=%", "tr")]
    [InlineData("magnet:?ws=%G0", "ws")]
    [InlineData("magnet:?as=%FF", "as")]
    [InlineData("magnet:?xs=%", "xs")]
    [InlineData("magnet:?kt=a+%", "kt")]
    [InlineData("magnet:?xl=-1", "xl")]
    [InlineData("magnet:?xl=1e6", "xl")]
    [InlineData("magnet:?xl=99999999999999999999", "xl")]
    [InlineData("magnet:?x.pe=nohost", "x.pe")]
    [InlineData("magnet:?x.pe=host:0", "x.pe")]
    [InlineData("magnet:?x.pe=host:65536", "x.pe")]
    [InlineData("magnet:?x.pe=::1:6881", "x.pe")]
    [InlineData("magnet:?x.pe=[::1:6881", "x.pe")]
    [InlineData("magnet:?x.pe=[1.2.3.4]:6881", "x.pe")]
    [InlineData("magnet:?so=", "so")]
    [InlineData("magnet:?so=1,,2", "so")]
    [InlineData("magnet:?so=5-2", "so")]
    [InlineData("magnet:?so=-2", "so")]
    [InlineData("magnet:?so=a", "so")]
    [InlineData("magnet:?so=1-2-3", "so")]
    [InlineData("magnet:?so=99999999999", "so")]
    [InlineData("magnet:?foo=%", "foo")]
    [InlineData("magnet:?x%2Epe=1.2.3.4:5", "x%2Epe")]
    public void Bad_values_throw_naming_the_parameter(string text, string parameter)
    {
        var error = Assert.Throws<MagnetUriFormatException>(() => MagnetLink.Parse(text));
        Assert.Equal(parameter, error.Parameter);
        Assert.IsAssignableFrom<FormatException>(error);
        Assert.Contains(parameter, error.Message, StringComparison.Ordinal);
        Assert.False(MagnetLink.TryParse(text, out _));
    }

    [Fact]
    public void Lenient_mode_drops_only_the_bad_parameters_like_magnet_uri()
    {
        var options = new MagnetLinkParseOptions { SkipInvalidParameters = true };
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:===&dn=ok&x.pe=bad&tr=http%3A%2F%2Fa&so=x&xl=12", options);
        Assert.Empty(link.InfoHashes);
        Assert.Equal("ok", link.DisplayName);
        Seq.Equal(["http://a"], link.Trackers);
        Assert.Empty(link.PeerAddresses);
        Assert.Empty(link.SelectOnly);
        Assert.Equal(12, link.ExactLength);
    }

    [Fact]
    public void Parameters_without_a_value_or_key_are_skipped_like_magnet_uri()
    {
        var link = MagnetLink.Parse("magnet:?a=a&xt&&=b&c=c");
        Seq.Equal([new("a", "a"), new("c", "c")], link.Extra);
        Assert.Empty(link.InfoHashes);
    }

    [Fact]
    public void Equals_sign_inside_a_value_is_part_of_the_value()
    {
        // magnet-uri drops "a==" entirely; we split at the first '=' so unescaped tracker query strings survive.
        var link = MagnetLink.Parse("magnet:?tr=http://t.example/announce?passkey=abc&a==");
        Seq.Equal(["http://t.example/announce?passkey=abc"], link.Trackers);
        Seq.Equal([new("a", "=")], link.Extra);
    }

    [Fact]
    public void Decodes_40_char_hex_and_32_char_base32_info_hashes()
    {
        Assert.Equal("aad050ee1bb22e196939547b134535824dabf0ce", MagnetLink.Parse("magnet:?xt=urn:btih:aad050ee1bb22e196939547b134535824dabf0ce").InfoHashV1!.Value.ToHex());
        Assert.Equal("aad050ee1bb22e196939547b134535824dabf0ce", MagnetLink.Parse("magnet:?xt=urn:btih:AAD050EE1BB22E196939547B134535824DABF0CE").InfoHashV1!.Value.ToHex());
        Assert.Equal("f7079c66cca02ab45934b9868572060010dfc97e", MagnetLink.Parse("magnet:?xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6").InfoHashV1!.Value.ToHex());
        Assert.Equal("f7079c66cca02ab45934b9868572060010dfc97e", MagnetLink.Parse("magnet:?xt=urn:btih:64dzyzwmuavliwjuxgdik4qgaain7sl6").InfoHashV1!.Value.ToHex());
    }

    [Fact]
    public void Decodes_a_v2_multihash_and_a_hybrid_link()
    {
        const string V2 = "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e";
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:631a31dd0a46257d5078c0dee4e66e26f73e42ac&xt=urn:btmh:1220{V2.ToUpperInvariant()}&dn=bittorrent-v2-hybrid-test");
        Assert.Equal("631a31dd0a46257d5078c0dee4e66e26f73e42ac", link.InfoHashV1!.Value.ToHex());
        Assert.Equal(V2, link.InfoHashV2!.Value.ToHex());
        Assert.Equal(InfoHashVersion.V2, link.InfoHashV2.Value.Version);
        Assert.Equal($"magnet:?xt=urn:btih:631a31dd0a46257d5078c0dee4e66e26f73e42ac&xt=urn:btmh:1220{V2}&dn=bittorrent-v2-hybrid-test", link.ToString());
    }

    [Fact]
    public void Keywords_split_on_plus()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6&kt=joe+blow+mp3");
        Seq.Equal(["joe", "blow", "mp3"], link.Keywords);
        Seq.Equal(["a+b", "c d"], MagnetLink.Parse("magnet:?kt=a%2Bb+c%20d").Keywords);
        Assert.Equal("magnet:?kt=a%2Bb+c%20d", MagnetLink.Parse("magnet:?kt=a%2Bb+c%20d").ToString());
    }

    [Fact]
    public void Decodes_several_exact_topics_lengths_and_sources()
    {
        var link = MagnetLink.Parse(Mediawiki);
        Assert.Equal("81e177e2cc00943b29fcfc635457f575237293b0", link.InfoHashV1!.Value.ToHex());
        Seq.Equal(["urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1", "urn:tree:tiger:7N5OAMRNGMSSEUE3ORHOKWN4WWIQ5X4EBOOTLJY"], link.OtherExactTopics);
        Assert.Equal(10826029, link.ExactLength);
        Assert.Equal("mediawiki-1.15.1.tar.gz", link.DisplayName);
        Seq.Equal(["udp://tracker.example4.com:80/announce"], link.Trackers);
        Seq.Equal(["http://download.wikimedia.org/mediawiki/1.15/mediawiki-1.15.1.tar.gz"], link.AcceptableSources);
        Seq.Equal(["http://cache.example.org/XRX2PEFXOOEJFRVUCX6HMZMKS5TWG4K5", "dchub://example.org"], link.ExactSources);
    }

    [Fact]
    public void Several_acceptable_sources_and_web_seeds_keep_order()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&as=http%3A%2F%2Fa%2F1&as=http%3A%2F%2Fa%2F2&ws=http%3A%2F%2Fa%2F3&ws=http%3A%2F%2Fa%2F4");
        Seq.Equal(["http://a/1", "http://a/2"], link.AcceptableSources);
        Seq.Equal(["http://a/3", "http://a/4"], link.WebSeeds);
    }

    [Fact]
    public void Repeated_trackers_web_seeds_peers_and_hashes_are_deduplicated()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&xt=urn:btih:D2474E86C95B19B8BCFDB92BC12C9D44667CFA36&tr=udp%3A%2F%2Fa%3A80&tr=udp%3A%2F%2Fa%3A80&tr=udp://b:1&ws=http://w&ws=http%3A%2F%2Fw&x.pe=1.2.3.4:5&x.pe=1.2.3.4:5");
        Assert.Single(link.InfoHashes);
        Seq.Equal(["udp://a:80", "udp://b:1"], link.Trackers);
        Seq.Equal(["http://w"], link.WebSeeds);
        Assert.Single(link.PeerAddresses);
    }

    [Fact]
    public void Numbered_keys_are_their_base_parameter()
    {
        var link = MagnetLink.Parse("magnet:?xt.1=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&xt.2=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&tr.1=udp://a:1&tr.2=udp://b:2&ws.10=http://w&x.1=y");
        Assert.Equal(2, link.InfoHashes.Length);
        Seq.Equal(["udp://a:1", "udp://b:2"], link.Trackers);
        Seq.Equal(["http://w"], link.WebSeeds);
        Seq.Equal([new("x.1", "y")], link.Extra);
    }

    [Fact]
    public void Unknown_keys_are_kept_in_order_with_repeats_and_written_back()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&ix=1&foo=b%20ar&ix=2&XT=upper");
        Seq.Equal([new("ix", "1"), new("foo", "b ar"), new("ix", "2"), new("XT", "upper")], link.Extra);
        Assert.Equal("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&ix=1&foo=b%20ar&ix=2&XT=upper", link.ToString());
    }

    [Fact]
    public void Peer_addresses_accept_ipv4_names_and_bracketed_ipv6()
    {
        var link = MagnetLink.Parse("magnet:?x.pe=127.0.0.1:6881&x.pe=peer.example:51413&x.pe=[::1]:6882&x.pe=%5B2001%3Adb8%3A%3A1%5D%3A443");
        Seq.Equal(
            [new PeerAddress("127.0.0.1", 6881), new PeerAddress("peer.example", 51413), new PeerAddress("::1", 6882), new PeerAddress("2001:db8::1", 443)],
            link.PeerAddresses);
        Assert.Equal("magnet:?x.pe=127.0.0.1:6881&x.pe=peer.example:51413&x.pe=[::1]:6882&x.pe=[2001:db8::1]:443", link.ToString());
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 6882), link.PeerAddresses[2].ToIPEndPoint());
        Assert.Null(link.PeerAddresses[1].ToIPEndPoint());
    }

    [Fact]
    public void Select_only_ranges_follow_bep53()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&so=0,2,4-6,8-8");
        Seq.Equal([new FileIndexRange(0), new FileIndexRange(2), new FileIndexRange(4, 6), new FileIndexRange(8)], link.SelectOnly);
        Assert.True(link.IsFileSelected(5));
        Assert.False(link.IsFileSelected(3));
        Assert.False(link.IsFileSelected(7));
        Assert.EndsWith("&so=0,2,4-6,8", link.ToString(), StringComparison.Ordinal);
        Assert.True(MagnetLink.Parse("magnet:?so=1%2C3").IsFileSelected(3));
        Assert.True(new MagnetLink().IsFileSelected(42));
    }

    [Fact]
    public void Huge_select_only_ranges_do_not_expand()
    {
        var link = MagnetLink.Parse("magnet:?so=0-2147483647");
        Assert.Equal(2147483648L, link.SelectOnly[0].Count);
    }

    [Fact]
    public void Display_name_decodes_utf8_and_plus()
    {
        Assert.Equal("Ünïcødé 日本 🎬 a+b c", MagnetLink.Parse("magnet:?dn=%C3%9Cn%C3%AFc%C3%B8d%C3%A9+%E6%97%A5%E6%9C%AC+%F0%9F%8E%AC+a%2Bb+c").DisplayName);
        Assert.Equal("raw ünï", MagnetLink.Parse("magnet:?dn=raw+ünï").DisplayName);
        Assert.Equal("first", MagnetLink.Parse("magnet:?dn=first&dn=second").DisplayName);
    }

    [Fact]
    public void Trackers_keep_a_literal_plus_like_magnet_uri()
    {
        Seq.Equal(["http://a/b+c"], MagnetLink.Parse("magnet:?tr=http%3A%2F%2Fa%2Fb+c").Trackers);
    }

    [Fact]
    public void Encodes_like_magnet_uri()
    {
        // magnet-uri's own encode test, with our canonical parameter order (xt, dn, xl, tr, ws, as, xs).
        var link = new MagnetLink
        {
            InfoHashes = [InfoHash.Parse("QHQXPYWMACKDWKP47RRVIV7VOURXFE5Q")],
            OtherExactTopics = ["urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1", "urn:tree:tiger:7N5OAMRNGMSSEUE3ORHOKWN4WWIQ5X4EBOOTLJY"],
            ExactLength = 10826029,
            DisplayName = "mediawiki-1.15.1.tar.gz",
            Trackers = ["udp://tracker.openbittorrent.com:80/announce"],
            AcceptableSources = ["http://download.wikimedia.org/mediawiki/1.15/mediawiki-1.15.1.tar.gz"],
            ExactSources = ["http://cache.example.org/XRX2PEFXOOEJFRVUCX6HMZMKS5TWG4K5", "dchub://example.org"],
        };
        Assert.Equal(
            "magnet:?xt=urn:btih:81e177e2cc00943b29fcfc635457f575237293b0&xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&xt=urn:tree:tiger:7N5OAMRNGMSSEUE3ORHOKWN4WWIQ5X4EBOOTLJY&dn=mediawiki-1.15.1.tar.gz&xl=10826029&tr=udp%3A%2F%2Ftracker.openbittorrent.com%3A80%2Fannounce&as=http%3A%2F%2Fdownload.wikimedia.org%2Fmediawiki%2F1.15%2Fmediawiki-1.15.1.tar.gz&xs=http%3A%2F%2Fcache.example.org%2FXRX2PEFXOOEJFRVUCX6HMZMKS5TWG4K5&xs=dchub%3A%2F%2Fexample.org",
            link.ToString());
        Assert.Equal(link, MagnetLink.Parse(link.ToString()));
    }

    [Fact]
    public void Encodes_the_simple_case_exactly_like_magnet_uri()
    {
        var link = new MagnetLink
        {
            InfoHashes = [InfoHash.Parse("d2474e86c95b19b8bcfdb92bc12c9d44667cfa36")],
            DisplayName = "Leaves of Grass by Walt Whitman.epub",
            Trackers = ["udp://open.demonii.com:1337", "udp://tracker.ccc.de:80"],
            WebSeeds = ["http://download.wikimedia.org/mediawiki/1.15/mediawiki-1.15.1.tar.gz"],
            Keywords = ["hey", "hey2"],
        };
        Assert.Equal(
            "magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&dn=Leaves+of+Grass+by+Walt+Whitman.epub&tr=udp%3A%2F%2Fopen.demonii.com%3A1337&tr=udp%3A%2F%2Ftracker.ccc.de%3A80&ws=http%3A%2F%2Fdownload.wikimedia.org%2Fmediawiki%2F1.15%2Fmediawiki-1.15.1.tar.gz&kt=hey+hey2",
            link.ToString());
    }

    [Fact]
    public void Bep46_public_key_exact_source_stays_readable()
    {
        var link = new MagnetLink { ExactSources = ["urn:btpk:8543d3e6115f0f98c944077a4493dcd543e49c739fd998550a1f614ab36ed63e"] };
        Assert.Equal("magnet:?xs=urn:btpk:8543d3e6115f0f98c944077a4493dcd543e49c739fd998550a1f614ab36ed63e", link.ToString());
    }

    [Fact]
    public void With_expressions_and_value_equality()
    {
        var link = MagnetLink.Parse(LeavesOfGrass);
        var copy = MagnetLink.Parse(LeavesOfGrass);
        Assert.Equal(link, copy);
        Assert.Equal(link.GetHashCode(), copy.GetHashCode());
        var changed = link with { Trackers = link.Trackers.Add("wss://tracker.example") };
        Assert.NotEqual(link, changed);
        Assert.Equal(6, changed.Trackers.Length);
        Assert.Equal(5, link.Trackers.Length);
    }

    [Fact]
    public void Invalid_values_cannot_be_set()
    {
        Assert.Throws<ArgumentException>(() => new MagnetLink { InfoHashes = [default] });
        Assert.Throws<ArgumentException>(() => new MagnetLink { Trackers = [null!] });
        Assert.Throws<ArgumentException>(() => new MagnetLink { Keywords = [""] });
        Assert.Throws<ArgumentException>(() => new MagnetLink { Extra = [new("tr", "x")] });
        Assert.Throws<ArgumentException>(() => new MagnetLink { Extra = [new("", "x")] });
        Assert.Throws<ArgumentException>(() => new MagnetLink { PeerAddresses = [default] });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MagnetLink { ExactLength = -1 });
        Assert.Throws<ArgumentException>(() => new PeerAddress("bad host", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerAddress("h", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileIndexRange(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileIndexRange(-1));
        Assert.Throws<ArgumentNullException>(() => MagnetLink.Parse(null!));
        Assert.False(MagnetLink.TryParse(null, out _));
    }

    [Fact]
    public void Limits_are_enforced()
    {
        var many = "magnet:?" + string.Join('&', Enumerable.Range(0, 20).Select(i => $"tr=udp://t{i}:1"));
        var tooMany = Assert.Throws<MagnetUriFormatException>(() => MagnetLink.Parse(many, new MagnetLinkParseOptions { MaxParameters = 10 }));
        Assert.Equal("tr", tooMany.Parameter);
        Assert.Equal(20, MagnetLink.Parse(many).Trackers.Length);

        var tooLong = Assert.Throws<MagnetUriFormatException>(() => MagnetLink.Parse(many, new MagnetLinkParseOptions { MaxLength = 50 }));
        Assert.Null(tooLong.Parameter);
        Assert.Throws<MagnetUriFormatException>(() => MagnetLink.Parse("magnet:?dn=" + new string('a', 70_000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MagnetLinkParseOptions { MaxLength = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MagnetLinkParseOptions { MaxParameters = -1 });
    }

    [Fact]
    public void Long_values_decode_through_pooled_buffers()
    {
        var name = string.Concat(Enumerable.Repeat("é ✓", 500));
        var link = new MagnetLink { DisplayName = name, Trackers = ["http://t/" + name] };
        Assert.Equal(link, MagnetLink.Parse(link.ToString()));
    }
}
