using WebTorrent.Metainfo;
using WebTorrent.Storage;

namespace WebTorrent.Tests;

public sealed class TorrentStorageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wt-storage-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static byte[] Content(long length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes the whole piece space in blocks of <paramref name="blockSize"/>, in a shuffled order.</summary>
    private static async Task WriteAllAsync(TorrentStorage storage, byte[] content, int blockSize, int seed)
    {
        var blocks = new List<(int Piece, int Offset)>();
        for (var piece = 0; piece < storage.PieceCount; piece++)
            for (var offset = 0; offset < storage.GetPieceSize(piece); offset += blockSize) blocks.Add((piece, offset));
        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(blocks));
        foreach (var (piece, offset) in blocks)
        {
            var start = ((long)piece * storage.PieceLength) + offset;
            var length = Math.Min(blockSize, storage.GetPieceSize(piece) - offset);
            await storage.WriteAsync(piece, offset, content.AsMemory((int)start, length));
        }
    }

    [Fact]
    public async Task Pieces_spanning_files_land_in_the_right_files_and_read_back()
    {
        // 3 files, piece length 16: pieces straddle every boundary; the last piece is short (100 = 6*16 + 4).
        var torrent = TestTorrents.MultiFile("multi", 16, new("a.bin", 10), new("sub/b.bin", 33), new("c.bin", 57));
        var content = Content(100, 1);
        await using var storage = new TorrentStorage(torrent, _folder);
        Assert.Equal(7, storage.PieceCount);
        Assert.Equal(4, storage.GetPieceSize(6));
        await WriteAllAsync(storage, content, 5, 2);
        storage.CloseFiles();

        Assert.Equal(content[..10], File.ReadAllBytes(Path.Combine(_folder, "multi", "a.bin")));
        Assert.Equal(content[10..43], File.ReadAllBytes(Path.Combine(_folder, "multi", "sub", "b.bin")));
        Assert.Equal(content[43..], File.ReadAllBytes(Path.Combine(_folder, "multi", "c.bin")));

        for (var piece = 0; piece < storage.PieceCount; piece++)
        {
            var buffer = new byte[storage.GetPieceSize(piece)];
            Assert.Equal(buffer.Length, await storage.ReadAsync(piece, 0, buffer));
            Assert.Equal(content.AsSpan(piece * 16, buffer.Length).ToArray(), buffer);
        }
    }

    [Fact]
    public async Task Blocks_outside_the_piece_are_rejected()
    {
        var torrent = TestTorrents.MultiFile("multi", 16, new("a.bin", 10), new("b.bin", 10));
        await using var storage = new TorrentStorage(torrent, _folder);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await storage.WriteAsync(1, 0, new byte[5]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await storage.WriteAsync(0, 10, new byte[7]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await storage.WriteAsync(2, 0, new byte[1]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await storage.ReadAsync(-1, 0, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.SetFileSelected(2, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.GetFilePath(-1));
    }

    [Fact]
    public async Task Padding_files_are_never_written_and_read_as_zeros()
    {
        var torrent = TestTorrents.MultiFile("padded", 16,
            new("a.bin", 10), new(".pad/6", 6, Padding: true), new("b.bin", 20));
        var content = Content(36, 3);
        content.AsSpan(10, 6).Clear();
        await using var storage = new TorrentStorage(torrent, _folder);
        await WriteAllAsync(storage, content, 16, 4);
        storage.CloseFiles();

        Assert.False(Directory.Exists(Path.Combine(_folder, "padded", ".pad")));
        Assert.Null(storage.GetFilePath(1));
        Assert.Equal(content[..10], File.ReadAllBytes(Path.Combine(_folder, "padded", "a.bin")));
        Assert.Equal(content[16..], File.ReadAllBytes(Path.Combine(_folder, "padded", "b.bin")));
        var piece0 = new byte[16];
        Assert.Equal(16, await storage.ReadAsync(0, 0, piece0));
        Assert.Equal(content[..16], piece0);
    }

    [Fact]
    public async Task Files_are_created_lazily_and_only_when_selected()
    {
        var torrent = TestTorrents.MultiFile("lazy", 16, new("a.bin", 16), new("b.bin", 20), new("c.bin", 12));
        var content = Content(48, 5);
        await using var storage = new TorrentStorage(torrent, _folder);
        Assert.False(Directory.Exists(_folder));

        storage.SetFileSelected(1, false);
        Assert.False(storage.IsFileSelected(1));
        await storage.WriteAsync(0, 0, content.AsMemory(0, 16));
        Assert.True(File.Exists(storage.GetFilePath(0)));
        Assert.False(File.Exists(storage.GetFilePath(2)));

        // Piece 2 covers b.bin (deselected, 32..36) and c.bin (36..48): only c.bin is written.
        await storage.WriteAsync(2, 0, content.AsMemory(32, 16));
        storage.CloseFiles();
        Assert.False(File.Exists(storage.GetFilePath(1)));
        Assert.Equal(content[36..], File.ReadAllBytes(storage.GetFilePath(2)!));

        // Reading a piece whose data is missing reports how much is valid.
        var buffer = new byte[16];
        Assert.Equal(0, await storage.ReadAsync(1, 0, buffer));
        Assert.Equal(0, await storage.ReadAsync(2, 0, buffer));
        Assert.Equal(16, await storage.ReadAsync(0, 0, buffer));
    }

    [Fact]
    public async Task Files_are_sparse_and_preallocated_to_full_length()
    {
        var torrent = TestTorrents.MultiFile("sparse", 1 << 20, new TestTorrents.FileSpec("big.bin", 64L << 20));
        await using var storage = new TorrentStorage(torrent, _folder);
        await storage.WriteAsync(63, 0, new byte[] { 1, 2, 3 });
        storage.CloseFiles();
        Assert.Equal(64L << 20, new FileInfo(storage.GetFilePath(0)!).Length);

        // A short file on disk (someone truncated it) reads back short instead of inventing zeros.
        using (var stream = File.OpenWrite(storage.GetFilePath(0)!)) stream.SetLength(10);
        var buffer = new byte[100];
        Assert.Equal(10, await storage.ReadAsync(0, 0, buffer));
    }

    [Fact]
    public async Task Empty_files_are_created_on_request()
    {
        var torrent = TestTorrents.MultiFile("empty", 16, new("a.bin", 20), new("empty.txt", 0), new("skip.txt", 0));
        await using var storage = new TorrentStorage(torrent, _folder);
        storage.SetFileSelected(2, false);
        storage.CreateEmptyFiles();
        Assert.True(File.Exists(Path.Combine(_folder, "empty", "empty.txt")));
        Assert.False(File.Exists(Path.Combine(_folder, "empty", "skip.txt")));
    }

    [Fact]
    public async Task Unsafe_paths_stay_inside_the_download_folder()
    {
        // Cleaned by the parser: ".." and absolute-looking segments never escape.
        var torrent = TestTorrents.MultiFile("evil", 16, new("../../escape.bin", 8), new("/etc/passwd", 8));
        await using var storage = new TorrentStorage(torrent, _folder);
        var root = Path.GetFullPath(_folder) + Path.DirectorySeparatorChar;
        for (var i = 0; i < storage.FileCount; i++) Assert.StartsWith(root, storage.GetFilePath(i)!, StringComparison.Ordinal);
        await storage.WriteAsync(0, 0, new byte[16]);
        Assert.All(Directory.GetFiles(_folder, "*", SearchOption.AllDirectories), path => Assert.StartsWith(root, path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_writes_of_different_blocks_with_a_tiny_handle_cache()
    {
        var files = Enumerable.Range(0, 12).Select(i => new TestTorrents.FileSpec($"f{i}.bin", 5000 + (i * 777))).ToArray();
        var torrent = TestTorrents.MultiFile("concurrent", 4096, files);
        var content = Content(torrent.TotalLength, 6);
        await using var storage = new TorrentStorage(torrent, _folder, new TorrentStorageOptions { MaxOpenFiles = 2 });
        const int blockSize = 1024;
        var blocks = new List<(int Piece, int Offset)>();
        for (var piece = 0; piece < storage.PieceCount; piece++)
            for (var offset = 0; offset < storage.GetPieceSize(piece); offset += blockSize) blocks.Add((piece, offset));
        await Parallel.ForEachAsync(blocks, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (block, ct) =>
        {
            var start = ((long)block.Piece * storage.PieceLength) + block.Offset;
            var length = Math.Min(blockSize, storage.GetPieceSize(block.Piece) - block.Offset);
            await storage.WriteAsync(block.Piece, block.Offset, content.AsMemory((int)start, length), ct);
        });
        storage.CloseFiles();
        long offsetInTorrent = 0;
        foreach (var file in torrent.Files)
        {
            Assert.Equal(content.AsSpan((int)offsetInTorrent, (int)file.Length).ToArray(), File.ReadAllBytes(file.ResolvePath(_folder)));
            offsetInTorrent += file.Length;
        }
    }

    [Fact]
    public async Task A_file_first_opened_for_reading_can_then_be_written()
    {
        var torrent = TestTorrents.MultiFile("reopen", 16, new("a.bin", 16), new("b.bin", 16));
        await using var storage = new TorrentStorage(torrent, _folder);
        await storage.WriteAsync(0, 0, new byte[16]);
        storage.CloseFiles();
        var buffer = new byte[16];
        Assert.Equal(16, await storage.ReadAsync(0, 0, buffer));
        var data = Content(16, 7);
        await storage.WriteAsync(0, 0, data);
        Assert.Equal(16, await storage.ReadAsync(0, 0, buffer));
        Assert.Equal(data, buffer);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        var torrent = TestTorrents.MultiFile("cancel", 16, new TestTorrents.FileSpec("a.bin", 16));
        await using var storage = new TorrentStorage(torrent, _folder);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await storage.WriteAsync(0, 0, new byte[16], new CancellationToken(true)));
    }

    [Fact]
    public async Task A_read_stops_at_the_first_missing_file()
    {
        var torrent = TestTorrents.MultiFile("gap", 32, new("a.bin", 10), new("b.bin", 10), new("c.bin", 12));
        var content = Content(32, 8);
        await using var storage = new TorrentStorage(torrent, _folder);
        storage.SetFileSelected(1, false);
        await storage.WriteAsync(0, 0, content);
        var buffer = new byte[32];
        Assert.Equal(10, await storage.ReadAsync(0, 0, buffer));
        Assert.Equal(content[..10], buffer[..10]);
        Assert.Equal(12, await storage.ReadAsync(0, 20, buffer.AsMemory(0, 12)));
        Assert.Equal(content[20..], buffer[..12]);
    }

    [Fact]
    public async Task A_disposed_storage_refuses_work()
    {
        var torrent = TestTorrents.MultiFile("disposed", 16, new TestTorrents.FileSpec("a.bin", 16));
        var storage = new TorrentStorage(torrent, _folder);
        await storage.WriteAsync(0, 0, new byte[16]);
        await storage.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await storage.WriteAsync(0, 0, new byte[16]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await storage.ReadAsync(0, 0, new byte[16]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Random_layouts_round_trip_every_byte(int seed)
    {
        var random = new Random(seed);
        var pieceLength = random.Next(1, 5) * 64;
        var files = Enumerable.Range(0, random.Next(1, 9))
            .Select(i => new TestTorrents.FileSpec(random.Next(3) == 0 ? $"d{i}/f{i}" : $"f{i}", random.Next(4) == 0 ? 0 : random.Next(1, 700), Padding: i > 0 && random.Next(5) == 0))
            .ToArray();
        if (files.Sum(f => f.Length) == 0) files[0] = files[0] with { Length = 1, Padding = false };
        var torrent = TestTorrents.MultiFile($"random{seed}", pieceLength, files);
        var content = Content(torrent.TotalLength, seed);
        foreach (var file in torrent.Files.Where(f => f.IsPadding)) content.AsSpan((int)file.Offset, (int)file.Length).Clear();
        await using var storage = new TorrentStorage(torrent, _folder, new TorrentStorageOptions { MaxOpenFiles = 1 + random.Next(3) });
        storage.CreateEmptyFiles();
        await WriteAllAsync(storage, content, random.Next(1, pieceLength + 1), seed);
        for (var i = 0; i < 200; i++)
        {
            var piece = random.Next(storage.PieceCount);
            var size = storage.GetPieceSize(piece);
            var offset = random.Next(size);
            var buffer = new byte[random.Next(1, size - offset + 1)];
            Assert.Equal(buffer.Length, await storage.ReadAsync(piece, offset, buffer));
            Assert.Equal(content.AsSpan((piece * pieceLength) + offset, buffer.Length).ToArray(), buffer);
        }
        foreach (var file in torrent.Files.Where(f => !f.IsPadding))
        {
            storage.CloseFiles();
            Assert.Equal(content.AsSpan((int)file.Offset, (int)file.Length).ToArray(), File.ReadAllBytes(file.ResolvePath(_folder)));
        }
    }
}
