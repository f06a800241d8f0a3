using System.Security.Cryptography;
using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

public sealed class StorageRecheckTests
{
    [Fact]
    public async Task Missing_file_fails_its_pieces_without_throwing()
    {
        var layout = FixtureData.LoadV1("multi-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        File.Delete(Path.Combine(directory.Path, "c.bin"));

        // c.bin covers storage 100000..170000: pieces 3 (98304..) to 5 (..196607).
        var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.Equal([0, 1, 2, 6], Enumerable.Range(0, 7).Where(p => bitfield[p]));
    }

    [Fact]
    public async Task Short_file_fails_only_the_pieces_over_its_missing_tail()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        var path = Path.Combine(directory.Path, "single.bin");
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(200000); // pieces 0..2 intact (196608), 3 and 4 short
        }

        var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 5).Where(p => bitfield[p]));
    }

    [Fact]
    public async Task Longer_file_still_verifies_its_own_bytes()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        await File.AppendAllTextAsync(Path.Combine(directory.Path, "single.bin"), "trailing junk");
        Assert.True((await new PieceVerifier().RecheckAllAsync(layout, directory.Path)).IsComplete);
    }

    [Fact]
    public async Task Missing_directory_fails_every_piece()
    {
        var layout = FixtureData.LoadV2("multi-v2.torrent");
        var bitfield = new PieceBitfield(layout.PieceCount);
        var events = new List<PieceVerified>();
        await foreach (var e in new PieceVerifier().RecheckAsync(layout, Path.Combine(Path.GetTempPath(), "wt-no-such-" + Guid.NewGuid()), bitfield))
        {
            events.Add(e);
        }

        Assert.Equal(layout.PieceCount, events.Count);
        Assert.All(events, e => Assert.False(e.IsValid));
        Assert.True(bitfield.IsEmpty);
    }

    [Fact]
    public async Task Empty_files_have_no_pieces_and_need_not_exist()
    {
        var layout = FixtureData.LoadV1("multi-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        File.Delete(Path.Combine(directory.Path, "b-empty.bin"));
        Assert.True((await new PieceVerifier().RecheckAllAsync(layout, directory.Path)).IsComplete);

        var onlyEmpty = new Sha1TorrentLayout(16384, ReadOnlyMemory<byte>.Empty, [new TorrentFileEntry("x", 0), new TorrentFileEntry("y/z", 0)]);
        Assert.Equal(0, onlyEmpty.PieceCount);
        var bitfield = await new PieceVerifier().RecheckAllAsync(onlyEmpty, directory.Path);
        Assert.True(bitfield.IsComplete);
        Assert.Equal(0, bitfield.Length);

        var v2Empty = new MerkleTorrentLayout(16384, [new MerkleFileEntry("e", 0, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty)]);
        Assert.Equal(0, v2Empty.PieceCount);
    }

    [Fact]
    public async Task Recheck_clears_bits_of_pieces_that_went_bad()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        var bitfield = await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.True(bitfield.IsComplete);
        var path = Path.Combine(directory.Path, "single.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[70000] ^= 1;
        File.WriteAllBytes(path, bytes);
        await foreach (var _ in new PieceVerifier().RecheckAsync(layout, directory.Path, bitfield))
        {
        }

        Assert.False(bitfield[1]);
        Assert.Equal(4, bitfield.Count);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 16384)]
    [InlineData(3, 100000)]
    [InlineData(4, 1 << 20)]
    public async Task Batch_and_parallelism_settings_do_not_change_the_result(int parallelism, int batchSize)
    {
        var layout = FixtureData.LoadV2("multi-v2.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        var options = new VerifierOptions { DegreeOfParallelism = parallelism, BatchSize = batchSize, MaxBufferMemory = 1 };
        Assert.True((await new PieceVerifier(options).RecheckAllAsync(layout, directory.Path)).IsComplete);
        var v1 = FixtureData.LoadV1("multi-v1.torrent");
        using var v1Directory = FixtureData.WriteFiles(v1);
        Assert.True((await new PieceVerifier(options).RecheckAllAsync(v1, v1Directory.Path)).IsComplete);
    }

    [Fact]
    public async Task Cancellation_mid_recheck_leaves_a_consistent_bitfield()
    {
        // 512 pieces of 16 KiB; every third piece corrupted on disk.
        const int pieceLength = 16384;
        const int pieces = 512;
        var data = FixtureData.Content((long)pieceLength * pieces);
        var hashes = new byte[pieces * 20];
        for (var p = 0; p < pieces; p++)
        {
            SHA1.HashData(data.AsSpan(p * pieceLength, pieceLength), hashes.AsSpan(p * 20, 20));
            if (p % 3 == 0)
            {
                data[(p * pieceLength) + 7] ^= 1;
            }
        }

        var layout = new Sha1TorrentLayout(pieceLength, hashes, [new TorrentFileEntry("big.bin", data.Length)]);
        using var directory = new TempDirectory();
        await File.WriteAllBytesAsync(Path.Combine(directory.Path, "big.bin"), data);

        // A stale bitfield claims everything; the recheck must correct exactly the pieces it reports.
        var bitfield = new PieceBitfield(pieces);
        for (var p = 0; p < pieces; p++)
        {
            bitfield.Set(p);
        }

        using var cancellation = new CancellationTokenSource();
        var reported = new List<PieceVerified>();
        var verifier = new PieceVerifier(new VerifierOptions { DegreeOfParallelism = 2, BatchSize = pieceLength * 4 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in verifier.RecheckAsync(layout, directory.Path, bitfield, cancellation.Token))
            {
                reported.Add(e);
                Assert.Equal(e.IsValid, bitfield[e.PieceIndex]);
                if (reported.Count == 100)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.Equal(100, reported.Count);
        Assert.Equal(Enumerable.Range(0, 100), reported.Select(e => e.PieceIndex));
        for (var p = 0; p < pieces; p++)
        {
            // Reported pieces carry their verdict; the rest keep their old (stale) bit, never a half-updated one.
            var expected = p >= 100 || p % 3 != 0;
            Assert.Equal(expected, bitfield[p]);
        }

        // Picking up again from scratch finishes with the true state.
        var fresh = await verifier.RecheckAllAsync(layout, directory.Path);
        Assert.Equal(pieces - ((pieces + 2) / 3), fresh.Count);
    }

    [Fact]
    public async Task Stopping_the_enumeration_early_releases_everything()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        var bitfield = new PieceBitfield(layout.PieceCount);
        await foreach (var e in new PieceVerifier(new VerifierOptions { BatchSize = 1 }).RecheckAsync(layout, directory.Path, bitfield))
        {
            Assert.True(e.IsValid);
            break;
        }

        Assert.Equal(1, bitfield.Count);
        Assert.True(bitfield[0]);
    }

    [Fact]
    public void Bad_arguments_are_rejected_up_front()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        var verifier = new PieceVerifier();
        Assert.Throws<ArgumentException>(() => verifier.RecheckAsync(layout, "/tmp", new PieceBitfield(4)));
        Assert.Throws<ArgumentException>(() => verifier.VerifyAsync(layout, new byte[10], new PieceBitfield(5)));
        var memoryOnly = new Sha1TorrentLayout(65536, 300000, layout.PieceHashes);
        Assert.Throws<ArgumentException>(() => verifier.RecheckAsync(memoryOnly, "/tmp", new PieceBitfield(5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PieceVerifier(new VerifierOptions { DegreeOfParallelism = 0 }));
    }
}

public sealed class VerifierMetricsTests
{
    [Fact]
    public async Task Meter_counts_valid_and_invalid_pieces_and_bytes()
    {
        var layout = FixtureData.LoadV1("single-v1.torrent");
        using var directory = FixtureData.WriteFiles(layout);
        File.Delete(Path.Combine(directory.Path, "single.bin"));
        var data = FixtureData.Concatenated(layout);
        long valid = 0, invalid = 0, bytes = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "WebTorrent.Verifier")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            // Other tests may run in parallel; only this test's verifications use this exact layout object, but the meter is
            // shared, so count only while the two runs below are active and compare with lower bounds.
            switch (instrument.Name)
            {
                case "webtorrent.verifier.pieces_valid": Interlocked.Add(ref valid, value); break;
                case "webtorrent.verifier.pieces_invalid": Interlocked.Add(ref invalid, value); break;
                case "webtorrent.verifier.bytes": Interlocked.Add(ref bytes, value); break;
            }
        });
        listener.Start();
        await new PieceVerifier().VerifyAllAsync(layout, data);
        await new PieceVerifier().RecheckAllAsync(layout, directory.Path);
        Assert.True(Interlocked.Read(ref valid) >= 5);
        Assert.True(Interlocked.Read(ref invalid) >= 5);
        Assert.True(Interlocked.Read(ref bytes) >= 600000);
    }
}
