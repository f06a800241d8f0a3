using System.Security.Cryptography;
using MagnetUri;

namespace MagnetUri.Tests;

public class InfoHashTests
{
    [Fact]
    public void Hex_base32_and_urn_spellings_are_one_value()
    {
        var hex = InfoHash.Parse("f7079c66cca02ab45934b9868572060010dfc97e");
        Assert.Equal(hex, InfoHash.Parse("64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6"));
        Assert.Equal(hex, InfoHash.Parse("urn:btih:F7079C66CCA02AB45934B9868572060010DFC97E"));
        Assert.Equal(hex, InfoHash.Parse("URN:BTIH:64dzyzwmuavliwjuxgdik4qgaain7sl6"));
        Assert.Equal("64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6", hex.ToBase32());
        Assert.Equal("urn:btih:f7079c66cca02ab45934b9868572060010dfc97e", hex.ToUrn());
        Assert.Equal(InfoHashVersion.V1, hex.Version);
        Assert.Equal(20, hex.Length);
        Assert.True(hex == InfoHash.FromV1(hex.ToArray()));
        Assert.Equal(hex.GetHashCode(), InfoHash.FromV1(hex.ToArray()).GetHashCode());
    }

    [Fact]
    public void V2_comes_from_a_sha256_multihash()
    {
        var sha256 = SHA256.HashData("info"u8);
        var hash = InfoHash.FromV2(sha256);
        Assert.Equal(InfoHashVersion.V2, hash.Version);
        Assert.Equal("urn:btmh:1220" + Convert.ToHexStringLower(sha256), hash.ToUrn());
        Assert.Equal(hash, InfoHash.Parse(hash.ToUrn()));
        Assert.Equal(hash, InfoHash.Parse(Convert.ToHexString(sha256)));
        Assert.True(InfoHash.TryParseExactTopic(hash.ToUrn(), out var parsed));
        Assert.Equal(sha256, parsed.ToArray());
        Assert.NotEqual(hash, InfoHash.FromV1(sha256.AsSpan(0, 20)));
    }

    [Fact]
    public void Default_is_empty()
    {
        InfoHash empty = default;
        Assert.True(empty.IsEmpty);
        Assert.Equal(InfoHashVersion.None, empty.Version);
        Assert.Equal("", empty.ToString());
        Assert.Throws<InvalidOperationException>(() => empty.ToUrn());
    }

    [Theory]
    [InlineData("")]
    [InlineData("f7079c66cca02ab45934b9868572060010dfc97")]
    [InlineData("f7079c66cca02ab45934b9868572060010dfc97ef")]
    [InlineData("x7079c66cca02ab45934b9868572060010dfc97e")]
    [InlineData("64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL0")]
    [InlineData("urn:btih:")]
    [InlineData("urn:btmh:1220f7079c66cca02ab45934b9868572060010dfc97e")]
    [InlineData("urn:btih:caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e")]
    [InlineData("urn:sha1:f7079c66cca02ab45934b9868572060010dfc97e")]
    public void Rejects_anything_else(string text)
    {
        Assert.False(InfoHash.TryParse(text, out _));
        Assert.Throws<FormatException>(() => InfoHash.Parse(text));
    }

    [Fact]
    public void Exact_topic_parse_needs_a_urn()
    {
        Assert.False(InfoHash.TryParseExactTopic("f7079c66cca02ab45934b9868572060010dfc97e", out _));
        Assert.Throws<ArgumentException>(() => InfoHash.FromV1(new byte[19]));
        Assert.Throws<ArgumentException>(() => InfoHash.FromV2(new byte[20]));
    }

    [Fact]
    public void Formats_into_a_span()
    {
        var hash = InfoHash.Parse("f7079c66cca02ab45934b9868572060010dfc97e");
        Span<char> small = stackalloc char[39];
        Assert.False(hash.TryFormat(small, out _));
        Span<char> buffer = stackalloc char[40];
        Assert.True(hash.TryFormat(buffer, out var written));
        Assert.Equal("f7079c66cca02ab45934b9868572060010dfc97e", buffer[..written].ToString());
        Assert.Equal("f7079c66cca02ab45934b9868572060010dfc97e", $"{hash}");
    }

    [Fact]
    public void Base32_round_trips_random_hashes()
    {
        var random = new Random(7);
        var bytes = new byte[20];
        for (var i = 0; i < 500; i++)
        {
            random.NextBytes(bytes);
            var hash = InfoHash.FromV1(bytes);
            Assert.Equal(hash, InfoHash.Parse(hash.ToBase32()));
            Assert.Equal(hash, InfoHash.Parse(hash.ToHex()));
        }
    }
}
