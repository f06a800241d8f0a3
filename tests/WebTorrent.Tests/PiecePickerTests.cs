using Microsoft.Extensions.Time.Testing;
using WebTorrent.Picking;

namespace WebTorrent.Tests;

public class PiecePickerTests
{
    private const int Block = 16 * 1024;

    private static PiecePicker<string> Picker(int pieceCount, int pieceLength = 2 * Block, long? total = null, IReadOnlyList<(long, long)>? files = null, PiecePickerOptions? options = null) =>
        new(pieceCount, pieceLength, total ?? (long)pieceCount * pieceLength, files, options ?? new PiecePickerOptions { RandomSeed = 42 });

    private static BlockRequest[] Pick(PiecePicker<string> picker, string peer, int max)
    {
        var buffer = new BlockRequest[max];
        var count = picker.PickBlocks(peer, buffer);
        return buffer[..count];
    }

    private static void Have(PiecePicker<string> picker, string peer, params int[] pieces)
    {
        foreach (var piece in pieces) picker.PeerHave(peer, piece);
    }

    [Fact]
    public void Rarest_pieces_come_first()
    {
        var picker = Picker(10);
        foreach (var peer in new[] { "a", "b", "c" }) picker.AddPeer(peer);
        picker.PeerHaveAll("a");
        Have(picker, "b", 0, 1, 2, 3, 4, 5, 6, 7, 8);
        Have(picker, "c", 0, 1, 2, 3, 4, 5, 6, 7);
        Assert.Equal(1, picker.GetAvailability(9));
        Assert.Equal(2, picker.GetAvailability(8));
        Assert.Equal(3, picker.GetAvailability(0));
        var picked = Pick(picker, "a", 4).Select(r => r.PieceIndex).Distinct().ToArray();
        Assert.Equal([9, 8], picked);
    }

    [Fact]
    public void Ties_are_broken_by_a_seeded_random_order()
    {
        int FirstPiece(int seed)
        {
            var picker = Picker(64, options: new PiecePickerOptions { RandomSeed = seed });
            picker.AddPeer("seed");
            picker.PeerHaveAll("seed");
            return Pick(picker, "seed", 1)[0].PieceIndex;
        }
        Assert.Equal(FirstPiece(7), FirstPiece(7));
        Assert.True(Enumerable.Range(0, 10).Select(FirstPiece).Distinct().Count() > 3);
    }

    [Fact]
    public void Sequential_mode_picks_in_order()
    {
        var picker = Picker(6);
        picker.Sequential = true;
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        picker.AddPeer("b");
        Have(picker, "b", 5);   // rarity does not matter in sequential mode
        var picked = Pick(picker, "a", 6);
        Assert.Equal([0, 0, 1, 1, 2, 2], picked.Select(r => r.PieceIndex));
        Assert.Equal([0, Block, 0, Block, 0, Block], picked.Select(r => r.Offset));
    }

    [Fact]
    public void Blocks_cover_short_last_blocks_and_a_short_last_piece()
    {
        // 3 pieces of 40000 bytes, total 90000: last piece 10000.
        var picker = Picker(3, 40_000, 90_000);
        picker.Sequential = true;
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        var picked = Pick(picker, "a", 10);
        Assert.Equal(
            [new(0, 0, Block), new(0, Block, Block), new(0, 2 * Block, 40_000 - (2 * Block)),
             new(1, 0, Block), new(1, Block, Block), new(1, 2 * Block, 40_000 - (2 * Block)),
             new BlockRequest(2, 0, 10_000)],
            picked);
        Assert.Equal(10_000, picker.GetPieceSize(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Picker(3, 40_000, 200_000));
    }

    [Fact]
    public void Pieces_in_progress_are_finished_before_new_ones()
    {
        var picker = Picker(10, 4 * Block);
        picker.AddPeer("a");
        picker.AddPeer("b");
        picker.PeerHaveAll("a");
        picker.PeerHaveAll("b");
        var first = Pick(picker, "a", 1)[0];
        var next = Pick(picker, "b", 3);
        Assert.All(next, r => Assert.Equal(first.PieceIndex, r.PieceIndex));
        Assert.Equal([Block, 2 * Block, 3 * Block], next.Select(r => r.Offset));
        Assert.Equal(1, picker.GetOutstandingRequestCount("a"));
        Assert.Equal(3, picker.GetOutstandingRequestCount("b"));
    }

    [Fact]
    public void Only_pieces_the_peer_has_are_picked_and_interest_follows()
    {
        var picker = Picker(4);
        picker.AddPeer("a");
        Assert.False(picker.IsInterestedIn("a"));
        Assert.Empty(Pick(picker, "a", 8));
        picker.PeerBitfield("a", [0b0100_0000]);
        Assert.True(picker.IsInterestedIn("a"));
        Assert.All(Pick(picker, "a", 8), r => Assert.Equal(1, r.PieceIndex));
        picker.MarkHave(1);
        Assert.False(picker.IsInterestedIn("a"));
        Assert.Equal(1, picker.HaveCount);
    }

    [Fact]
    public void Read_windows_come_first_nearest_first_even_in_skipped_files()
    {
        // Two files of 5 pieces each; the second is skipped but a player reads it.
        var pieceLength = Block;
        var picker = Picker(10, pieceLength, files: [(0, 5L * pieceLength), (5L * pieceLength, 5L * pieceLength)],
            options: new PiecePickerOptions { RandomSeed = 1, ReadAheadBytes = 3L * pieceLength });
        picker.SetFilePriority(1, PiecePriority.Skip);
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        var window = picker.OpenReadWindow((6L * pieceLength) + 100);   // reads up to 9 * pieceLength + 99: pieces 6..9
        Assert.Equal([6, 7, 8, 9], Pick(picker, "a", 4).Select(r => r.PieceIndex));
        picker.MoveReadWindow(window, 6L * pieceLength);
        // Window pieces are wanted even though their file is skipped; after them, only the first file.
        Assert.All(Pick(picker, "a", 10), r => Assert.InRange(r.PieceIndex, 0, 4));
        Assert.Empty(Pick(picker, "a", 10));

        picker.MoveReadWindow(window, 9L * pieceLength);
        picker.MarkFailed(9);   // forget piece 9's request so the moved window can take it again
        Assert.Equal([9], Pick(picker, "a", 3).Select(r => r.PieceIndex));
        picker.CloseReadWindow(window);
        Assert.Throws<ArgumentException>(() => picker.MoveReadWindow(window, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => picker.OpenReadWindow(10L * pieceLength));
    }

    [Fact]
    public void File_priorities_map_to_pieces()
    {
        // Piece length 10: file a = [0,15) file b = [15,30) file c = [30, 40). Piece 1 is shared by a and b.
        var picker = new PiecePicker<string>(4, 10, 40, [(0, 15), (15, 15), (30, 10)], new PiecePickerOptions { RandomSeed = 3, BlockSize = 10 });
        picker.SetFilePriority(0, PiecePriority.Skip);
        Assert.Equal(PiecePriority.Skip, picker.GetPiecePriority(0));
        Assert.Equal(PiecePriority.Normal, picker.GetPiecePriority(1));
        picker.SetFilePriority(2, PiecePriority.High);
        picker.SetFilePriority(1, PiecePriority.Low);
        Assert.Equal(PiecePriority.Low, picker.GetPiecePriority(1));
        Assert.Equal(PiecePriority.High, picker.GetPiecePriority(3));
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        var order = Pick(picker, "a", 10).Select(r => r.PieceIndex).ToArray();
        Assert.Equal(3, order[0]);                                  // High first, then the Low pieces 1 and 2; 0 skipped
        Assert.Equal([1, 2], order[1..].Order());
        foreach (var piece in new[] { 1, 2, 3 }) picker.MarkHave(piece);
        Assert.True(picker.IsDone);
        picker.SetFilePriority(0, PiecePriority.Normal);
        Assert.False(picker.IsDone);
    }

    [Fact]
    public void Created_from_a_torrent_skips_padding_files()
    {
        var torrent = TestTorrents.MultiFile("padded", Block, new("a.bin", Block), new(".pad/x", Block, Padding: true), new("b.bin", Block));
        var picker = PiecePicker.Create<string>(torrent, new PiecePickerOptions { RandomSeed = 1 });
        Assert.Equal([PiecePriority.Normal, PiecePriority.Skip, PiecePriority.Normal], Enumerable.Range(0, 3).Select(picker.GetPiecePriority));
    }

    [Fact]
    public void Received_blocks_are_classified()
    {
        var picker = Picker(2);
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        var requests = Pick(picker, "a", 2);
        var piece = requests[0].PieceIndex;
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", 1 - piece, 0, Block));
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", piece, 5, Block));
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", 99, 0, Block));
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", piece, 0, Block - 1));       // short block
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", piece, 2 * Block, Block));   // past the piece
        Assert.Equal(BlockReceipt.Accepted, picker.OnBlockReceived("a", piece, 0, Block));
        Assert.Equal(BlockReceipt.Duplicate, picker.OnBlockReceived("a", piece, 0, Block));
        Assert.Equal(BlockReceipt.PieceComplete, picker.OnBlockReceived("a", piece, Block, Block));
        picker.MarkHave(piece);
        Assert.Equal(BlockReceipt.Unexpected, picker.OnBlockReceived("a", piece, 0, Block));
        Assert.Equal(0, picker.GetOutstandingRequestCount("a"));
    }

    [Fact]
    public void End_game_duplicates_the_last_blocks_and_cancels_on_arrival()
    {
        var picker = Picker(1);
        picker.AddPeer("a");
        picker.AddPeer("b");
        picker.AddPeer("c");
        foreach (var peer in new[] { "a", "b", "c" }) picker.PeerHaveAll(peer);
        Assert.False(picker.IsEndGame());
        Assert.Equal(2, Pick(picker, "a", 4).Length);
        Assert.True(picker.IsEndGame());
        var duplicates = Pick(picker, "b", 4);
        Assert.Equal([new(0, 0, Block), new BlockRequest(0, Block, Block)], duplicates);
        Assert.Empty(Pick(picker, "c", 4));          // at most 2 peers per block
        Assert.Empty(Pick(picker, "b", 4));          // never the same block twice to one peer

        var cancels = new List<string>();
        Assert.Equal(BlockReceipt.Accepted, picker.OnBlockReceived("b", 0, 0, Block, cancels));
        Assert.Equal(["a"], cancels);
        Assert.Equal(1, picker.GetOutstandingRequestCount("a"));
        Assert.Equal(BlockReceipt.Duplicate, picker.OnBlockReceived("a", 0, 0, Block, cancels));   // crossed the cancel
        cancels.Clear();
        Assert.Equal(BlockReceipt.PieceComplete, picker.OnBlockReceived("a", 0, Block, Block, cancels));
        Assert.Equal(["b"], cancels);
        Assert.Equal(0, picker.GetOutstandingRequestCount("b"));
    }

    [Fact]
    public void Requests_time_out_and_late_blocks_are_still_accepted()
    {
        var time = new FakeTimeProvider();
        var picker = Picker(1, options: new PiecePickerOptions { RandomSeed = 1, TimeProvider = time, RequestTimeout = TimeSpan.FromSeconds(30) });
        picker.AddPeer("slow");
        picker.AddPeer("fast");
        picker.PeerHaveAll("slow");
        picker.PeerHaveAll("fast");
        Pick(picker, "slow", 1);
        time.Advance(TimeSpan.FromSeconds(20));
        Pick(picker, "slow", 1);
        var expired = new List<TimedOutRequest<string>>();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, picker.CollectTimedOutRequests(expired));
        Assert.Equal([new TimedOutRequest<string>("slow", new BlockRequest(0, 0, Block))], expired);
        Assert.Equal(1, picker.GetOutstandingRequestCount("slow"));
        Assert.False(picker.IsEndGame());
        // The expired block is free again; the other one is still in flight, so end game duplicates it.
        Assert.Equal([new BlockRequest(0, 0, Block), new BlockRequest(0, Block, Block)], Pick(picker, "fast", 4));
        Assert.Equal(BlockReceipt.Accepted, picker.OnBlockReceived("slow", 0, Block, Block));
        Assert.Equal(BlockReceipt.PieceComplete, picker.OnBlockReceived("slow", 0, 0, Block));   // late, but new data
    }

    [Fact]
    public void Removing_a_peer_or_a_choke_releases_its_requests_and_availability()
    {
        var picker = Picker(3);
        picker.AddPeer("a");
        picker.AddPeer("b");
        picker.PeerBitfield("a", [0b1110_0000]);
        picker.PeerHaveAll("b");
        Assert.Equal(2, picker.GetAvailability(2));
        var taken = Pick(picker, "a", 6);
        Assert.Equal(6, taken.Length);
        Assert.True(picker.IsEndGame());
        Assert.Equal(taken, Pick(picker, "b", 6));   // end game: duplicates of everything in flight
        picker.ReleaseRequests("a");
        Assert.Equal(0, picker.GetOutstandingRequestCount("a"));
        picker.ReleaseRequests("b");
        Assert.Equal(6, Pick(picker, "b", 6).Length);
        picker.RemovePeer("b");
        Assert.Equal(1, picker.GetAvailability(2));
        Assert.Equal(6, Pick(picker, "a", 6).Length);
        picker.PeerHaveNone("a");
        Assert.Equal(0, picker.GetAvailability(0));
        Assert.Throws<InvalidOperationException>(() => picker.PeerHave("b", 0));
        Assert.Throws<InvalidOperationException>(() => picker.AddPeer("a"));
        Assert.Throws<ArgumentException>(() => picker.PeerBitfield("a", []));
    }

    [Fact]
    public void A_failed_piece_is_downloaded_again()
    {
        var picker = Picker(1);
        picker.AddPeer("a");
        picker.PeerHaveAll("a");
        foreach (var request in Pick(picker, "a", 2)) picker.OnBlockReceived("a", request.PieceIndex, request.Offset, request.Length);
        Assert.Empty(Pick(picker, "a", 2));
        picker.MarkFailed(0);
        Assert.Equal(2, Pick(picker, "a", 2).Length);
        Assert.False(picker.HavePiece(0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void A_random_swarm_downloads_everything_and_never_doubles_a_request_outside_end_game(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider();
        var pieceCount = random.Next(1, 40);
        var pieceLength = Block * random.Next(1, 4);
        var total = ((long)(pieceCount - 1) * pieceLength) + random.Next(1, pieceLength + 1);
        var picker = new PiecePicker<string>(pieceCount, pieceLength, total, null, new PiecePickerOptions { RandomSeed = seed, TimeProvider = time });
        picker.Sequential = seed % 2 == 0;
        var peers = Enumerable.Range(0, 5).Select(i => $"p{i}").ToArray();
        var outstanding = peers.ToDictionary(p => p, _ => new List<BlockRequest>());
        var bitfield = new byte[(pieceCount + 7) / 8];
        foreach (var peer in peers)
        {
            picker.AddPeer(peer);
            if (peer == "p0") { picker.PeerHaveAll(peer); continue; }
            random.NextBytes(bitfield);
            picker.PeerBitfield(peer, bitfield);
        }
        var received = new HashSet<(int, int)>();
        var buffer = new BlockRequest[8];
        for (var step = 0; step < 100_000 && !picker.IsDone; step++)
        {
            var peer = peers[random.Next(peers.Length)];
            var inFlight = outstanding.Values.SelectMany(l => l).ToHashSet();
            var endGame = picker.IsEndGame();
            var count = picker.PickBlocks(peer, buffer.AsSpan(0, Math.Max(0, 8 - outstanding[peer].Count)));
            foreach (var request in buffer[..count])
            {
                Assert.DoesNotContain(request, outstanding[peer]);
                Assert.DoesNotContain((request.PieceIndex, request.Offset), received);
                if (!endGame && !picker.IsEndGame()) Assert.DoesNotContain(request, inFlight);
                outstanding[peer].Add(request);
            }
            Assert.Equal(outstanding[peer].Count, picker.GetOutstandingRequestCount(peer));
            if (outstanding[peer].Count == 0) continue;
            var index = random.Next(outstanding[peer].Count);
            var block = outstanding[peer][index];
            outstanding[peer].RemoveAt(index);
            switch (random.Next(10))
            {
                case 0:
                    picker.OnRequestRejected(peer, block.PieceIndex, block.Offset);
                    break;
                default:
                    var cancels = new List<string>();
                    var receipt = picker.OnBlockReceived(peer, block.PieceIndex, block.Offset, block.Length, cancels);
                    foreach (var other in cancels) outstanding[other].Remove(block);
                    if (receipt is BlockReceipt.Accepted or BlockReceipt.PieceComplete) Assert.True(received.Add((block.PieceIndex, block.Offset)));
                    if (receipt == BlockReceipt.PieceComplete)
                    {
                        if (random.Next(8) == 0)
                        {
                            picker.MarkFailed(block.PieceIndex);
                            received.RemoveWhere(r => r.Item1 == block.PieceIndex);
                        }
                        else
                        {
                            picker.MarkHave(block.PieceIndex);
                        }
                        foreach (var list in outstanding.Values) list.RemoveAll(r => r.PieceIndex == block.PieceIndex);
                    }
                    break;
            }
        }
        Assert.True(picker.IsDone);
        Assert.Equal(pieceCount, picker.HaveCount);
    }
}
