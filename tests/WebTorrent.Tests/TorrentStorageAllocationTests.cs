using WebTorrent.Storage;

namespace WebTorrent.Tests;

/// <summary><see cref="TorrentStorageOptions.AllocateDiskSpace"/>: new files get their space reserved, existing files are kept as they are.</summary>
public sealed class TorrentStorageAllocationTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wt-alloc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Allocated_files_have_their_full_length_and_read_back_what_was_written_out_of_order()
    {
        var torrent = TestTorrents.MultiFile("alloc", 16 * 1024, new("a.bin", 100_000), new("empty.bin", 0), new("b.bin", 70_001));
        var content = new byte[170_001];
        new Random(5).NextBytes(content);
        await using (var storage = new TorrentStorage(torrent, _folder, new TorrentStorageOptions { AllocateDiskSpace = true }))
        {
            storage.CreateEmptyFiles();
            // last piece first, then the rest backwards: every write lands beyond what was written before
            for (var piece = storage.PieceCount - 1; piece >= 0; piece--)
                await storage.WriteAsync(piece, 0, content.AsMemory(piece * storage.PieceLength, storage.GetPieceSize(piece)));
        }
        Assert.Equal(content[..100_000], await File.ReadAllBytesAsync(Path.Combine(_folder, "alloc", "a.bin")));
        Assert.Empty(await File.ReadAllBytesAsync(Path.Combine(_folder, "alloc", "empty.bin")));
        Assert.Equal(content[100_000..], await File.ReadAllBytesAsync(Path.Combine(_folder, "alloc", "b.bin")));
    }

    [Fact]
    public async Task An_existing_file_keeps_its_bytes_and_length()
    {
        var torrent = TestTorrents.MultiFile("keep", 16 * 1024, new("a.bin", 40_000), new("b.bin", 10));
        var path = Path.Combine(_folder, "keep", "a.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var existing = new byte[20_000];
        new Random(6).NextBytes(existing);
        await File.WriteAllBytesAsync(path, existing);
        await using (var storage = new TorrentStorage(torrent, _folder, new TorrentStorageOptions { AllocateDiskSpace = true, PreallocateFiles = false }))
        {
            var block = new byte[10];
            new Random(7).NextBytes(block);
            await storage.WriteAsync(2, 40_000 - (2 * 16 * 1024), block);   // the first bytes of b.bin (created, allocated)
        }
        Assert.Equal(existing, await File.ReadAllBytesAsync(path));          // not truncated, not grown
        Assert.Equal(10, new FileInfo(Path.Combine(_folder, "keep", "b.bin")).Length);
    }
}
