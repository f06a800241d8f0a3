namespace WebTorrent.Storage;

/// <summary>Options for <see cref="TorrentStorage"/>.</summary>
public sealed class TorrentStorageOptions
{
    /// <summary>How many file handles stay open at once (least recently used ones are closed first). Default 32.</summary>
    public int MaxOpenFiles { get; init; } = 32;

    /// <summary>
    /// Give each file its full length when it is created (<c>SetLength</c>: sparse on file systems that support it, never
    /// zero-filled by us). Default true; false lets files grow as blocks arrive.
    /// </summary>
    public bool PreallocateFiles { get; init; } = true;

    /// <summary>
    /// Reserve each file's disk space when it is created (<c>fallocate</c>: not sparse, nothing written), so blocks
    /// arriving out of order do not make the file system allocate extents piece by piece; on ext4 that makes writing
    /// a torrent several times cheaper. Default false (sparse files). A file system that cannot reserve space gets an
    /// <see cref="IOException"/> when the file is created.
    /// </summary>
    public bool AllocateDiskSpace { get; init; }
}
