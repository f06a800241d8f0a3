using System.Text;
using SdpCompress;
using WebRtc.Sdp;

namespace SdpCompress.Tests;

/// <summary>
/// Audit finding 7 (issue 18): raw ICE credentials and the fingerprint algorithm were expanded byte for byte, so a
/// compressed description holding CR/LF made <c>ToString()</c> emit SDP lines of the sender's choosing.
/// </summary>
public class LineInjectionTests
{
    private const string AuditRepro =
        "3704000001c738088f5e2c0a1d3b4f6a9b7e0c1d2e3f4a5bcb203b279f18ee507a5a5274ff38749a037ef0ffe8d10e6b03138980804000070e151c232a31383f464d545bea6970777e858c939aa1a8afb6bdc4cbd2d90400c0a800c4b4a321cb007100b4a304000420010db80000000000";

    [Fact]
    public void The_audit_repro_is_refused()
    {
        var ex = Assert.Throws<SdpCompressException>(() => SdpCompressor.Expand(Convert.FromHexString(AuditRepro)));
        Assert.Contains("character", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> HostileCredentials => new()
    {
        "abcd\r\na=ice-lite",
        "abcd\na=x",
        "ab cd",
        "ab\0cd",
        "abc\u00e9",
        "ab:cd",
    };

    [Theory]
    [MemberData(nameof(HostileCredentials))]
    public void A_raw_ufrag_or_pwd_outside_the_ice_and_token_characters_is_refused(string credential)
    {
        Assert.Throws<SdpCompressException>(() => SdpCompressor.Expand(Description(ufrag: credential)));
        Assert.Throws<SdpCompressException>(() => SdpCompressor.Expand(Description(pwd: credential)));
    }

    [Theory]
    [InlineData("sha-256\r\na=ice-lite")]
    [InlineData("sha 256")]
    [InlineData("")]
    public void A_fingerprint_algorithm_that_is_not_a_token_is_refused(string algorithm) =>
        Assert.Throws<SdpCompressException>(() => SdpCompressor.Expand(Description(algorithm: algorithm)));

    [Fact]
    public void Raw_credentials_of_token_characters_still_expand_on_their_own_lines()
    {
        var description = SdpCompressor.Expand(Description(ufrag: "ab-cd_ef.gh", pwd: "0123456789abcdef~!#$%&'*+-.^_`{|}", algorithm: "sha-512"));
        var sdp = description.ToString();
        Assert.Contains("a=ice-ufrag:ab-cd_ef.gh\r\n", sdp, StringComparison.Ordinal);
        Assert.Contains("a=ice-pwd:0123456789abcdef~!#$%&'*+-.^_`{|}\r\n", sdp, StringComparison.Ordinal);
        Assert.StartsWith("sha-512", description.Fingerprints[0].Algorithm, StringComparison.Ordinal);
    }

    /// <summary>Version 1, offer, actpass, with extras; raw credentials; an algorithm; a 32-byte digest; no candidates.</summary>
    private static byte[] Description(string ufrag = "abcd", string pwd = "0123456789abcdefghijkl", string algorithm = "sha-256")
    {
        var bytes = new List<byte> { (1 << 5) | 2 };
        AddRaw(bytes, Encoding.UTF8.GetBytes(ufrag));
        AddRaw(bytes, Encoding.UTF8.GetBytes(pwd));
        bytes.Add(4); // extras: fingerprint algorithm
        var alg = Encoding.UTF8.GetBytes(algorithm);
        bytes.Add((byte)alg.Length);
        bytes.AddRange(alg);
        bytes.Add(32);
        bytes.AddRange(new byte[32]);
        bytes.Add(0); // no candidates
        return [.. bytes];
    }

    private static void AddRaw(List<byte> bytes, byte[] raw)
    {
        bytes.Add((byte)(0x80 | raw.Length));
        bytes.AddRange(raw);
    }
}
