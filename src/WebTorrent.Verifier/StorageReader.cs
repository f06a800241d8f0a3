using Microsoft.Win32.SafeHandles;

namespace WebTorrent.Verifier;

/// <summary>
/// Reads ranges of storage space (the torrent's files one after another) into buffers, one file handle at a time.
/// Bytes that cannot be read (missing, short or unreadable files) are reported as failed ranges, never thrown.
/// </summary>
internal sealed class StorageReader(TorrentLayout layout, string directory) : IDisposable
{
    private readonly IReadOnlyList<FilePlacement> _placements = layout.Placements;
    private SafeFileHandle? _handle;
    private int _handleIndex = -1;
    private int _failedIndex = -1;

    /// <summary>Fills <paramref name="destination"/> with storage space from <paramref name="start"/>; adds what could not be read to <paramref name="failed"/>.</summary>
    public void Read(long start, Span<byte> destination, List<(long Start, long End)> failed)
    {
        var end = start + destination.Length;
        for (var index = FirstPlacementEndingAfter(start); index < _placements.Count && _placements[index].StorageOffset < end; index++)
        {
            var placement = _placements[index];
            var from = Math.Max(start, placement.StorageOffset);
            var to = Math.Min(end, placement.StorageEnd);
            var target = destination[(int)(from - start)..(int)(to - start)];
            if (placement.IsPadding)
            {
                target.Clear();
                continue;
            }

            var got = ReadFile(index, from - placement.StorageOffset, target);
            if (got < target.Length)
            {
                failed.Add((from + got, to));
            }
        }
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    private int ReadFile(int index, long fileOffset, Span<byte> target)
    {
        var handle = Open(index);
        if (handle is null)
        {
            return 0;
        }

        var got = 0;
        try
        {
            while (got < target.Length)
            {
                var read = RandomAccess.Read(handle, target[got..], fileOffset + got);
                if (read == 0)
                {
                    break;
                }

                got += read;
            }
        }
        catch (IOException)
        {
            // A read error fails the pieces over the rest of the range, like a short file.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return got;
    }

    private SafeFileHandle? Open(int index)
    {
        if (index == _handleIndex)
        {
            return _handle;
        }

        if (index == _failedIndex)
        {
            return null;
        }

        _handle?.Dispose();
        _handle = null;
        _handleIndex = -1;
        var path = StoragePaths.Combine(directory, _placements[index].Path);
        try
        {
            _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            _handleIndex = index;
            return _handle;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Missing file or directory, or not readable: its pieces fail.
            _failedIndex = index;
            return null;
        }
    }

    private int FirstPlacementEndingAfter(long offset)
    {
        var low = 0;
        var high = _placements.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (_placements[mid].StorageEnd <= offset)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
