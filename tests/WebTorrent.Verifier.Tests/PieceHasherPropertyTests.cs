using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

public sealed class PieceHasherPropertyTests
{
    private static readonly TorrentLayout V1 = FixtureData.LoadV1("multi-v1.torrent");
    private static readonly TorrentLayout V2 = FixtureData.LoadV2("multi-v2.torrent");
    private static readonly byte[] V1Data = FixtureData.Concatenated(V1);
    private static readonly byte[] V2Data = FixtureData.Concatenated(V2);

    /// <summary>Whatever the block sizes and arrival order (with duplicates), a piece verifies iff its bytes are intact.</summary>
    [Property(MaxTest = 100, Replay = "(777,779)")]
    public bool Any_split_and_order_verifies_exactly_when_intact(bool v2, NonNegativeInt piece, int seed, bool corrupt)
    {
        var layout = v2 ? V2 : V1;
        var data = v2 ? V2Data : V1Data;
        var index = piece.Get % layout.PieceCount;
        var bytes = data.AsSpan((int)layout.GetPieceDataOffset(index), layout.GetPieceSize(index)).ToArray();
        var random = new Random(seed);
        if (corrupt)
        {
            bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
        }

        var blocks = new List<(int Offset, int Length)>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = Math.Min(bytes.Length - offset, random.Next(1, 20000));
            blocks.Add((offset, length));
            offset += length;
        }

        // Shuffle, and send a few blocks twice.
        var arrivals = blocks.Concat(blocks.Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()).ToList();
        using var hasher = new PieceHasher(layout);
        hasher.Begin(index);
        foreach (var (offset, length) in arrivals)
        {
            hasher.Append(offset, bytes.AsSpan(offset, length));
        }

        return hasher.IsComplete && hasher.Verify() == !corrupt;
    }
}
