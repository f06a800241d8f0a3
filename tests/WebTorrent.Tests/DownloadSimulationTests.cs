using System.Security.Cryptography;
using WebTorrent.Metainfo;
using WebTorrent.Picking;
using WebTorrent.Storage;

namespace WebTorrent.Tests;

/// <summary>The building blocks together: a real hybrid torrent (padding files), picked from simulated seeds, stored, verified.</summary>
public sealed class DownloadSimulationTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wt-sim-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(TorrentVersion.Hybrid)]
    [InlineData(TorrentVersion.V2)]
    public async Task Picker_and_storage_download_a_torrent_that_verifies(TorrentVersion version)
    {
        var hasV1Hashes = version != TorrentVersion.V2;
        var random = new Random(11);
        var contents = new[] { 70_001, 5, 0, 131_072, 40_000 }.Select(length =>
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }).ToArray();
        var sources = contents.Select((bytes, i) => new TorrentSourceFile([$"file{i}.bin"], _ => ValueTask.FromResult<Stream>(new MemoryStream(bytes)), bytes.Length)).ToList();
        var torrent = await TorrentCreator.CreateAsync(sources, new TorrentCreationOptions { Name = "sim", PieceLength = 32 * 1024, Version = version });
        if (hasV1Hashes) Assert.Contains(torrent.Files, f => f.IsPadding);

        // The piece space as seeds have it: file bytes, zeros in padding (and, v2-only, in the gaps between files).
        var space = new byte[torrent.Files.Max(f => f.Offset + f.Length)];
        var next = 0;
        foreach (var file in torrent.Files.Where(f => !f.IsPadding)) contents[next++].CopyTo(space, file.Offset);

        await using var storage = new TorrentStorage(torrent, _folder);
        storage.CreateEmptyFiles();
        var picker = PiecePicker.Create<int>(torrent, new PiecePickerOptions { RandomSeed = 5 });
        for (var peer = 0; peer < 3; peer++)
        {
            picker.AddPeer(peer);
            picker.PeerHaveAll(peer);
        }
        var failedOnce = false;
        var requests = new BlockRequest[4];
        for (var round = 0; round < 10_000 && !picker.IsDone; round++)
        {
            var peer = round % 3;
            var count = picker.PickBlocks(peer, requests);
            foreach (var request in requests[..count])
            {
                var data = space.AsMemory((int)(((long)request.PieceIndex * torrent.PieceLength) + request.Offset), request.Length).ToArray();
                if (hasV1Hashes && !failedOnce && request.PieceIndex == 1) data[0] ^= 0xff;   // one corrupt block: the piece must be refetched
                var receipt = picker.OnBlockReceived(peer, request.PieceIndex, request.Offset, request.Length);
                if (receipt is BlockReceipt.Accepted or BlockReceipt.PieceComplete) await storage.WriteAsync(request.PieceIndex, request.Offset, data);
                if (receipt != BlockReceipt.PieceComplete) continue;
                var piece = new byte[storage.GetPieceSize(request.PieceIndex)];
                Assert.Equal(piece.Length, picker.GetPieceSize(request.PieceIndex));
                Assert.Equal(piece.Length, await storage.ReadAsync(request.PieceIndex, 0, piece));
                var intact = space.AsSpan((int)((long)request.PieceIndex * torrent.PieceLength), piece.Length).SequenceEqual(piece);
                if (!hasV1Hashes)
                {
                    Assert.True(intact);
                    picker.MarkHave(request.PieceIndex);   // v2 merkle checks belong to WebTorrent.Verifier
                }
                else if (SHA1.HashData(piece).AsSpan().SequenceEqual(torrent.GetPieceHash(request.PieceIndex)))
                {
                    Assert.True(intact);
                    picker.MarkHave(request.PieceIndex);
                }
                else
                {
                    Assert.Equal(1, request.PieceIndex);
                    failedOnce = true;
                    picker.MarkFailed(request.PieceIndex);
                }
            }
        }
        Assert.Equal(hasV1Hashes, failedOnce);
        Assert.True(picker.IsDone);
        storage.CloseFiles();
        next = 0;
        foreach (var file in torrent.Files.Where(f => !f.IsPadding))
            Assert.Equal(contents[next++], File.ReadAllBytes(file.ResolvePath(_folder)));
        Assert.DoesNotContain(Directory.GetFiles(_folder, "*", SearchOption.AllDirectories), p => p.Contains(".pad", StringComparison.Ordinal));
    }
}
