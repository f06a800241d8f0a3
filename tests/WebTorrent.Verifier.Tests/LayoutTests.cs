using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

public sealed class LayoutTests
{
    [Fact]
    public void Hash_count_must_match_piece_count()
    {
        Assert.Throws<ArgumentException>(() => new Sha1TorrentLayout(16384, 16385, new byte[20]));
        Assert.Equal(2, new Sha1TorrentLayout(16384, 16385, new byte[40]).PieceCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sha1TorrentLayout(0, 0, ReadOnlyMemory<byte>.Empty));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../escape")]
    [InlineData("a/../../b")]
    [InlineData("a//b")]
    [InlineData("")]
    public void Unsafe_paths_are_rejected(string path)
    {
        Assert.Throws<ArgumentException>(() => new Sha1TorrentLayout(16384, new byte[20], [new TorrentFileEntry(path, 10)]));
        Assert.Throws<ArgumentException>(() => new MerkleTorrentLayout(16384, [new MerkleFileEntry(path, 10, new byte[32], ReadOnlyMemory<byte>.Empty)]));
    }

    [Fact]
    public void V2_piece_length_and_hash_sizes_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleTorrentLayout(8192, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleTorrentLayout(3 * 16384, []));
        Assert.Throws<ArgumentException>(() => new MerkleTorrentLayout(16384, [new MerkleFileEntry("a", 10, new byte[31], ReadOnlyMemory<byte>.Empty)]));
        Assert.Throws<ArgumentException>(() => new MerkleTorrentLayout(16384, [new MerkleFileEntry("a", 16385, new byte[32], new byte[32])]));
        var ok = new MerkleTorrentLayout(16384, [new MerkleFileEntry("a", 16385, new byte[32], new byte[64]), new MerkleFileEntry("b", 1, new byte[32], default)]);
        Assert.Equal(3, ok.PieceCount);
        Assert.Equal(1, ok.GetPieceSize(1));
        Assert.Equal(16385, ok.GetPieceDataOffset(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ok.GetPieceSize(3));
    }

    [Fact]
    public void Single_leaf_file_root_is_the_sha256_of_its_bytes()
    {
        var data = FixtureData.Content(1000);
        var root = System.Security.Cryptography.SHA256.HashData(data);
        var layout = new MerkleTorrentLayout(16384, [new MerkleFileEntry("a", 1000, root, default)]);
        Assert.True(layout.VerifyPiece(0, data));
    }
}
