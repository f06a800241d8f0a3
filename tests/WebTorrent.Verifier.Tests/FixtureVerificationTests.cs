using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

/// <summary>Pieces hashed by mktorrent (v1) and libtorrent (v2) verify against our reading of the same files.</summary>
public sealed class FixtureVerificationTests
{
    public static TheoryData<string> AllFixtures => ["single-v1.torrent", "multi-v1.torrent", "multi-v2.torrent", "multi-hybrid.torrent", "multi-hybrid.torrent:v2"];

    internal static TorrentLayout Load(string name) =>
        name.EndsWith("-v2.torrent", StringComparison.Ordinal) || name.EndsWith(":v2", StringComparison.Ordinal) ? FixtureData.LoadV2(name) : FixtureData.LoadV1(name);

    [Fact]
    public void Fixtures_have_the_expected_shape()
    {
        var single = FixtureData.LoadV1("single-v1.torrent");
        Assert.Equal(65536, single.PieceLength);
        Assert.Equal(300000, single.TotalLength);
        Assert.Equal(5, single.PieceCount);
        Assert.Equal(300000 - (4 * 65536), single.GetPieceSize(4));

        var multi = FixtureData.LoadV1("multi-v1.torrent");
        Assert.Equal(["a.bin", "b-empty.bin", "c.bin", "d/e.bin", "f.bin", "g.bin"], multi.Files.Select(f => f.Path));
        Assert.Equal(228334, multi.TotalLength);
        Assert.Equal(7, multi.PieceCount);

        var v2 = FixtureData.LoadV2("multi-v2.torrent");
        Assert.Equal(6, v2.Files.Count);

        // a: 4 pieces, c: 3, d/e: 2, f: 1, g: 1 (the empty file has none).
        Assert.Equal(11, v2.PieceCount);
        Assert.Equal(100000 - (3 * 32768), v2.GetPieceSize(3));
        Assert.Equal(5000, v2.GetPieceSize(9));
        Assert.Equal(4, v2.GetFileIndex(9));
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public async Task Every_piece_verifies_from_disk(string fixture)
    {
        var layout = Load(fixture);
        using var directory = FixtureData.WriteFiles(layout);
        var bitfield = new PieceBitfield(layout.PieceCount);
        var events = new List<PieceVerified>();
        await foreach (var verified in new PieceVerifier().RecheckAsync(layout, directory.Path, bitfield))
        {
            events.Add(verified);
        }

        Assert.Equal(Enumerable.Range(0, layout.PieceCount), events.Select(e => e.PieceIndex));
        Assert.All(events, e => Assert.True(e.IsValid, $"piece {e.PieceIndex}"));
        Assert.True(bitfield.IsComplete);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public async Task Every_piece_verifies_from_memory_and_one_by_one(string fixture)
    {
        var layout = Load(fixture);
        var data = FixtureData.Concatenated(layout);
        var bitfield = await new PieceVerifier().VerifyAllAsync(layout, data);
        Assert.True(bitfield.IsComplete);
        for (var piece = 0; piece < layout.PieceCount; piece++)
        {
            var span = data.AsSpan((int)layout.GetPieceDataOffset(piece), layout.GetPieceSize(piece));
            Assert.True(layout.VerifyPiece(piece, span), $"piece {piece}");
            Assert.False(layout.VerifyPiece(piece, span[..^1]), "a truncated piece must fail");
        }
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public async Task A_flipped_byte_fails_exactly_its_piece(string fixture)
    {
        var layout = Load(fixture);
        var random = new Random(1234);
        for (var round = 0; round < 5; round++)
        {
            var data = FixtureData.Concatenated(layout);
            var offset = random.NextInt64(data.Length);
            data[offset] ^= 0x01;
            var expectedBad = Enumerable.Range(0, layout.PieceCount).Single(p =>
                layout.GetPieceDataOffset(p) <= offset && offset < layout.GetPieceDataOffset(p) + layout.GetPieceSize(p));

            var bitfield = new PieceBitfield(layout.PieceCount);
            var events = new List<PieceVerified>();
            await foreach (var e in new PieceVerifier(new VerifierOptions { DegreeOfParallelism = 2, BatchSize = 65536 }).VerifyAsync(layout, data, bitfield))
            {
                events.Add(e);
            }

            Assert.Equal([expectedBad], events.Where(e => !e.IsValid).Select(e => e.PieceIndex));
            Assert.Equal(layout.PieceCount - 1, bitfield.Count);
            Assert.False(bitfield[expectedBad]);
        }
    }

    [Fact]
    public async Task A_flipped_byte_on_disk_fails_exactly_its_piece_across_file_boundaries()
    {
        var layout = FixtureData.LoadV1("multi-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);

        // Last byte of c.bin: storage offset 100000 + 70001 - 1 = 170000, in piece 5 (163840..196607), which also holds d/e.bin's start.
        var path = Path.Combine(directory.Path, "c.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x80;
        File.WriteAllBytes(path, bytes);

        var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.Equal(Enumerable.Range(0, 7).Where(p => p != 5), Enumerable.Range(0, 7).Where(p => bitfield[p]));
    }

    [Fact]
    public async Task A_piece_spanning_four_files_verifies_and_fails_if_any_of_them_is_wrong()
    {
        // Piece 6 of multi-v1 (196608..228333) holds the end of d/e.bin, all of f.bin and all of g.bin.
        var layout = FixtureData.LoadV1("multi-v1.torrent");
        Assert.Equal(228334 - 196608, layout.GetPieceSize(6));
        foreach (var victim in new[] { "d/e.bin", "f.bin", "g.bin" })
        {
            using var directory = FixtureData.WriteFiles(layout);
            var path = Path.Combine(directory.Path, victim);
            var bytes = File.ReadAllBytes(path);
            bytes[^1] ^= 0xFF;
            File.WriteAllBytes(path, bytes);
            var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
            Assert.False(bitfield[6], victim);
            Assert.True(bitfield[5], victim);
        }
    }

    [Fact]
    public async Task V2_flipped_byte_on_disk_fails_only_its_piece_in_its_file()
    {
        var layout = FixtureData.LoadV2("multi-v2.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        var path = Path.Combine(directory.Path, "c.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[40000] ^= 0x10; // second piece of c.bin = global piece 5
        File.WriteAllBytes(path, bytes);
        var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.Equal(Enumerable.Range(0, 11).Where(p => p != 5), Enumerable.Range(0, 11).Where(p => bitfield[p]));
    }

    [Fact]
    public async Task Hybrid_padding_files_are_zeros_never_read_from_disk()
    {
        var layout = FixtureData.LoadV1("multi-hybrid.torrent");
        Assert.Equal(5, layout.Files.Count(f => f.IsPadding));

        // Every file starts at a piece boundary, so with the pads the v1 pieces line up with the v2 ones.
        Assert.Equal(FixtureData.LoadV2("multi-hybrid.torrent").PieceCount, layout.PieceCount);
        using var directory = FixtureData.WriteFiles(layout);
        Assert.False(Directory.Exists(Path.Combine(directory.Path, ".pad")));
        Assert.True((await new PieceVerifier().RecheckAllAsync(layout, directory.Path)).IsComplete);
    }

    [Fact]
    public void V2_piece_layers_hash_up_to_their_roots()
    {
        var layout = FixtureData.LoadV2("multi-v2.torrent");
        for (var i = 0; i < layout.Files.Count; i++)
        {
            Assert.True(layout.PieceLayerMatchesRoot(i), layout.Files[i].Path);
        }

        var a = layout.MerkleFiles[0];
        var tampered = a.PieceLayer.ToArray();
        tampered[0] ^= 1;
        var bad = new MerkleTorrentLayout(layout.PieceLength, [a with { PieceLayer = tampered }]);
        Assert.False(bad.PieceLayerMatchesRoot(0));
    }
}
