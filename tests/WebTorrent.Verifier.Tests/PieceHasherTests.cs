using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

public sealed class PieceHasherTests
{
    public static TheoryData<string> AllFixtures => FixtureVerificationTests.AllFixtures;

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Blocks_in_order_verify_every_piece(string fixture)
    {
        var layout = FixtureVerificationTests.Load(fixture);
        var data = FixtureData.Concatenated(layout);
        using var hasher = new PieceHasher(layout);
        for (var piece = 0; piece < layout.PieceCount; piece++)
        {
            hasher.Begin(piece);
            var pieceData = PieceData(layout, data, piece);
            for (var offset = 0; offset < pieceData.Length; offset += 16384)
            {
                Assert.False(hasher.IsComplete);
                Assert.True(hasher.Append(offset, pieceData.AsSpan(offset, Math.Min(16384, pieceData.Length - offset))));
            }

            Assert.True(hasher.IsComplete);
            Assert.True(hasher.Verify(), $"piece {piece}");
        }
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Blocks_in_any_order_and_odd_sizes_verify_and_a_flipped_byte_fails(string fixture)
    {
        var layout = FixtureVerificationTests.Load(fixture);
        var data = FixtureData.Concatenated(layout);
        var random = new Random(42);
        using var hasher = new PieceHasher(layout);
        for (var piece = 0; piece < layout.PieceCount; piece++)
        {
            var pieceData = PieceData(layout, data, piece);
            var blocks = Split(pieceData.Length, random).OrderBy(_ => random.Next()).ToList();
            foreach (var corrupt in new[] { false, true })
            {
                var copy = (byte[])pieceData.Clone();
                if (corrupt)
                {
                    copy[random.Next(copy.Length)] ^= 0x04;
                }

                hasher.Begin(piece);
                foreach (var (offset, length) in blocks)
                {
                    Assert.True(hasher.Append(offset, copy.AsSpan(offset, length)));

                    // A duplicate of a block already taken is ignored.
                    Assert.False(hasher.Append(offset, copy.AsSpan(offset, length)));
                }

                Assert.Equal(copy.Length, hasher.ReceivedBytes);
                Assert.Equal(!corrupt, hasher.Verify());
            }
        }
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var hasher = new PieceHasher(layout);
        Assert.Throws<InvalidOperationException>(() => hasher.Append(0, new byte[1]));
        hasher.Begin(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => hasher.Append(layout.GetPieceSize(4) - 1, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => hasher.Append(-1, new byte[1]));
        Assert.Throws<InvalidOperationException>(() => hasher.Verify());
        Assert.False(hasher.Append(0, ReadOnlySpan<byte>.Empty));
        Assert.True(hasher.Append(100, new byte[100]));
        Assert.False(hasher.Append(150, new byte[100]));  // overlaps the pending block
        Assert.False(hasher.Append(50, new byte[51]));
        Assert.True(hasher.Append(50, new byte[50]));
        Assert.Equal(0, hasher.HashedBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => hasher.Begin(5));
    }

    [Fact]
    public void Begin_abandons_a_piece_in_progress()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        var data = FixtureData.Concatenated(layout);
        using var hasher = new PieceHasher(layout);
        hasher.Begin(0);
        hasher.Append(0, new byte[1000]);
        hasher.Append(5000, new byte[1000]);
        hasher.Begin(0);
        hasher.Append(0, data.AsSpan(0, 65536));
        Assert.True(hasher.Verify());
    }

    private static byte[] PieceData(TorrentLayout layout, byte[] data, int piece) =>
        data.AsSpan((int)layout.GetPieceDataOffset(piece), layout.GetPieceSize(piece)).ToArray();

    private static IEnumerable<(int Offset, int Length)> Split(int total, Random random)
    {
        var offset = 0;
        while (offset < total)
        {
            var length = Math.Min(total - offset, random.Next(1, 40000));
            yield return (offset, length);
            offset += length;
        }
    }
}
