using Bencode;

namespace WebTorrent.Metainfo.Tests;

/// <summary>
/// Audit finding 3 (issue 18): lengths whose sum overflows 64 bits escaped as <see cref="OverflowException"/>, which
/// callers (the engine fetching metadata after a magnet) do not expect. They must be <see cref="InvalidTorrentException"/>.
/// </summary>
public class LengthOverflowTests
{
    /// <summary>The audit's repro: two files of 2^62 bytes.</summary>
    private const string TwoFilesOf2Pow62 =
        "64343a696e666f64353a66696c65736c64363a6c656e677468693436313136383630313834323733383739303465343a706174686c313a61656564363a6c656e677468693436313136383630313834323733383739303465343a706174686c313a62656565343a6e616d65313a6e31323a7069656365206c656e67746869313633383465363a70696563657332303a00000000000000000000000000000000000000006565";

    [Fact]
    public void The_audit_repro_is_an_invalid_torrent()
    {
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(Convert.FromHexString(TwoFilesOf2Pow62)));
        Assert.Equal("info.files[1].length", ex.Field);
        Assert.Contains("overflow", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_audit_repro_fetched_as_metadata_is_an_invalid_torrent()
    {
        // After a magnet link only the info dictionary arrives (ut_metadata): ParseInfo must fail the same typed way.
        var root = BencodeSerializer.DecodeDictionary(Convert.FromHexString(TwoFilesOf2Pow62), BencodeReaderOptions.Lenient);
        var info = root.Get<BencodeDictionary>("info")!.RawBytes;
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.ParseInfo(info));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(long.MaxValue - 16383)]
    public void A_single_file_too_long_to_count_its_pieces_is_an_invalid_torrent(long length)
    {
        var info = new BencodeDictionary { ["name"] = "n", ["piece length"] = 16384, ["pieces"] = new byte[20], ["length"] = length };
        var ex = Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
        Assert.Equal("info.pieces", ex.Field);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(4611686018427387904L)] // 2^62: two of them overflow once rounded up to pieces
    public void V2_files_whose_piece_aligned_offsets_overflow_are_an_invalid_torrent(long length)
    {
        static BencodeDictionary File(long length) => new()
        {
            [""] = new BencodeDictionary { ["length"] = length, ["pieces root"] = new byte[32] },
        };
        var info = new BencodeDictionary
        {
            ["meta version"] = 2,
            ["name"] = "n",
            ["piece length"] = 16384,
            ["file tree"] = new BencodeDictionary { ["a"] = File(length), ["b"] = File(length), ["c"] = File(length) },
        };
        Assert.Throws<InvalidTorrentException>(() => TorrentMetainfo.Parse(TestTorrents.Torrent(info)));
    }
}
