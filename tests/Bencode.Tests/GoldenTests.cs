using System.Text;

namespace Bencode.Tests;

/// <summary>A hand-written file (Golden/sample.bencode): decoding it gives known values, and building the same values in code encodes to the exact same bytes.</summary>
public class GoldenTests
{
    private static readonly byte[] Golden = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "sample.bencode"));

    private static readonly byte[] PieceBytes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6];

    [Fact]
    public void Golden_file_decodes_to_known_values()
    {
        var root = BencodeSerializer.DecodeDictionary(Golden);
        Assert.Equal("wss://tracker.example/announce", root.GetText("announce"));
        Assert.Equal(1_700_000_000, root.GetInt64("creation date"));
        var info = root.Get<BencodeDictionary>("info")!;
        Assert.Equal("sample", info.GetText("name"));
        Assert.Equal(PieceBytes, info.GetBytes("pieces")!.Value.ToArray());
        var files = info.Get<BencodeList>("files")!;
        Assert.Equal(-42, ((BencodeDictionary)files[1]).GetInt64("length"));
        Assert.Equal("sub", ((BencodeList)((BencodeDictionary)files[1])["path"])[0].ToString());
        var list = root.Get<BencodeList>("list")!;
        Assert.Equal(long.MinValue, ((BencodeInteger)list[1]).Value);
        Assert.Equal(long.MaxValue, ((BencodeInteger)list[2]).Value);
        Assert.Empty(((BencodeString)list[3]).Span.ToArray());
        Assert.Empty((BencodeList)list[4]);
        Assert.Equal("zero", root.GetText(""));
        var infoStart = Encoding.Latin1.GetString(Golden).IndexOf("4:infod", StringComparison.Ordinal) + 6;
        Assert.Equal(infoStart, info.RawBytes.Length == 0 ? -1 : Golden.AsSpan().IndexOf(info.RawBytes.Span));
    }

    [Fact]
    public void Values_built_in_code_encode_to_the_golden_bytes()
    {
        // Inserted out of order on purpose: the dictionary sorts keys itself.
        var root = new BencodeDictionary
        {
            ["list"] = new BencodeList { 0L, long.MinValue, long.MaxValue, "", new BencodeList() },
            ["info"] = new BencodeDictionary
            {
                ["pieces"] = PieceBytes,
                ["piece length"] = 16384,
                ["name"] = "sample",
                ["files"] = new BencodeList
                {
                    new BencodeDictionary { ["path"] = new BencodeList { "a.txt" }, ["length"] = 5 },
                    new BencodeDictionary { ["path"] = new BencodeList { "sub", "b.bin" }, ["length"] = -42 },
                },
            },
            [""] = "zero",
            ["creation date"] = 1_700_000_000,
            ["announce"] = "wss://tracker.example/announce",
        };
        Assert.Equal(Golden, root.ToArray());
        Assert.Equal(Golden, BencodeSerializer.Decode(Golden.AsMemory()).ToArray());
    }
}
