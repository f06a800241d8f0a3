namespace WebTorrent.Tests.Engine;

/// <summary>A storage error of any type fails the torrent (it must not just be logged and leave the torrent hanging).</summary>
public sealed class StorageFailureTests
{
    [Theory]
    [InlineData("directory")]   // a directory where the file should be: the write throws UnauthorizedAccessException
    [InlineData("argument")]    // the storage throws ArgumentException (injected through the internal test hook)
    public async Task A_storage_error_while_writing_a_downloaded_piece_fails_the_torrent(string fault)
    {
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("bad", 21, ("a.bin", 100_000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var folder = swarm.Folder("leech");
        if (fault == "directory") Directory.CreateDirectory(Path.Combine(folder, "bad", "a.bin"));
        var leech = await swarm.Client(folder: folder).AddAsync(seed.Metainfo!);
        var injected = new ArgumentException("injected storage fault");
        if (fault == "argument") leech.StorageFaultForTests = _ => injected;
        var raised = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        leech.ErrorOccurred += (_, error) => raised.TrySetResult(error);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => leech.WaitForCompletionAsync(cts.Token));
        Assert.False(cts.IsCancellationRequested, "the torrent hung instead of failing");
        var error = await raised.Task.WaitAsync(cts.Token);
        Assert.Equal(TorrentState.Error, leech.State);
        Assert.Same(error, leech.Error);
        Assert.Same(error, thrown);
        if (fault == "argument") Assert.Same(injected, error);
        else Assert.IsType<UnauthorizedAccessException>(error);
        // The seed only lost a peer: a storage error is the torrent's that hit it, not the other side's.
        Assert.Equal(TorrentState.Seeding, seed.State);
    }

    [Fact]
    public async Task A_storage_error_while_reading_a_block_to_upload_fails_the_seeding_torrent()
    {
        await using var swarm = new Swarm();
        var (path, _) = swarm.WriteContent("gone", 22, ("a.bin", 100_000));
        var seed = await swarm.Client().SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024 });
        var injected = new ArgumentException("injected storage fault");
        seed.StorageFaultForTests = _ => injected;
        var raised = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        seed.ErrorOccurred += (_, error) => raised.TrySetResult(error);
        var leech = await swarm.Client().AddAsync(seed.Metainfo!);
        await Swarm.ConnectAsync(leech, seed);
        using var cts = new CancellationTokenSource(Swarm.Timeout);

        var error = await raised.Task.WaitAsync(cts.Token);
        Assert.Same(injected, error);
        Assert.Equal(TorrentState.Error, seed.State);
        Assert.Same(error, seed.Error);
        Assert.NotEqual(TorrentState.Error, leech.State);
    }
}
