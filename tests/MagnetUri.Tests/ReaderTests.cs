using MagnetUri;

namespace MagnetUri.Tests;

public class ReaderTests
{
    [Fact]
    public void Reads_parameters_in_order_with_their_kinds()
    {
        var reader = new MagnetLinkReader("magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&dn=A+b%21&tr.1=udp%3A%2F%2Fa&x.pe=1.2.3.4:5&novalue&zz=1");
        var kinds = new List<(MagnetParameterKind, string, string)>();
        Span<char> buffer = stackalloc char[64];
        while (reader.Read())
        {
            Assert.True(reader.TryDecodeValue(buffer, out var written));
            kinds.Add((reader.Kind, reader.Key.ToString(), buffer[..written].ToString()));
        }

        Assert.Equal(
            [
                (MagnetParameterKind.ExactTopic, "xt", "urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36"),
                (MagnetParameterKind.DisplayName, "dn", "A b!"),
                (MagnetParameterKind.Tracker, "tr.1", "udp://a"),
                (MagnetParameterKind.PeerAddress, "x.pe", "1.2.3.4:5"),
                (MagnetParameterKind.Unknown, "zz", "1"),
            ],
            kinds);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Gets_info_hashes_plain_and_percent_encoded()
    {
        // That this allocates nothing is measured by MagnetLinkReaderBenchmarks (BenchmarkDotNet's memory diagnoser):
        // GC.GetAllocatedBytesForCurrentThread here would count the JIT's unoptimized first calls in Debug.
        const string Link = "magnet:?dn=x&xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6&xt=urn%3Abtmh%3A1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&tr=udp://a";
        var hashes = new InfoHash[2];
        var count = CountHashes(Link, hashes);
        Assert.Equal(2, count);
        Assert.Equal("f7079c66cca02ab45934b9868572060010dfc97e", hashes[0].ToHex());
        Assert.Equal(InfoHashVersion.V2, hashes[1].Version);
        Assert.Equal("caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e", hashes[1].ToHex());
    }

    private static int CountHashes(string link, InfoHash[] into)
    {
        var count = 0;
        var reader = new MagnetLinkReader(link);
        while (reader.Read())
        {
            if (reader.TryGetInfoHash(out var hash)) into[count++] = hash;
        }

        return count;
    }

    [Fact]
    public void Rejects_a_foreign_scheme()
    {
        Assert.Throws<MagnetUriFormatException>(() => new MagnetLinkReader("https://x/?xt=1"));
        Assert.False(MagnetLinkReader.TryCreate("mag", out _));
        Assert.True(MagnetLinkReader.TryCreate("Magnet:?a=b", out var reader));
        Assert.True(reader.Read());
    }

    [Fact]
    public void Decoding_fails_cleanly_on_a_short_buffer_or_bad_escape()
    {
        var reader = new MagnetLinkReader("magnet:?dn=abcdef&tr=%zz");
        Assert.True(reader.Read());
        Span<char> small = stackalloc char[3];
        Assert.False(reader.TryDecodeValue(small, out _));
        Assert.True(reader.Read());
        Span<char> big = stackalloc char[16];
        Assert.False(reader.TryDecodeValue(big, out _));
        Assert.Null(reader.DecodeValue());
        Assert.False(reader.TryGetInfoHash(out _));
    }
}
