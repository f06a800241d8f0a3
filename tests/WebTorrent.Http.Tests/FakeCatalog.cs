using System.Security.Cryptography;
using MagnetUri;
using WebTorrent.Http.Catalog;

namespace WebTorrent.Http.Tests;

/// <summary>An in-memory catalog: torrents of byte arrays, optionally gated by piece availability.</summary>
internal sealed class FakeCatalog : IFileCatalog
{
    private readonly List<FakeTorrent> _torrents = [];

    public IReadOnlyList<ICatalogTorrent> Torrents { get { lock (_torrents) return [.. _torrents]; } }

    public ICatalogTorrent? Find(InfoHash infoHash)
    {
        lock (_torrents) return _torrents.Find(t => t.InfoHash.Equals(infoHash));
    }

    public FakeTorrent Add(string name, params (string Path, byte[] Data)[] files)
    {
        var torrent = new FakeTorrent(name, files);
        lock (_torrents) _torrents.Add(torrent);
        return torrent;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

internal sealed class FakeTorrent : ICatalogTorrent
{
    public FakeTorrent(string name, (string Path, byte[] Data)[] files)
    {
        Name = name;
        InfoHash = InfoHash.FromV1(SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(name)));
        Files = files.Select((f, i) => new FakeFile(i, f.Path, f.Data)).ToArray();
    }

    public InfoHash InfoHash { get; }
    public string Name { get; }
    public bool HasMetadata => true;
    public long Length => Files.Sum(f => f.Length);
    public double Progress => 1;
    public DateTimeOffset? LastModified { get; set; }
    public IReadOnlyList<ICatalogFile> Files { get; }
    public FakeFile File(int index) => (FakeFile)Files[index];
}

internal sealed class FakeFile(int index, string path, byte[] data) : ICatalogFile
{
    private int _open;
    private int _opened;

    public int Index => index;
    public string Path => path;
    public string Name => path[(path.LastIndexOf('/') + 1)..];
    public long Length => data.Length;
    public double Progress => Pieces?.Progress ?? 1;
    public byte[] Data => data;

    /// <summary>When set, reads wait for pieces to become available (a torrent still downloading).</summary>
    public PieceAvailability? Pieces { get; set; }

    /// <summary>Streams open now.</summary>
    public int OpenStreams => Volatile.Read(ref _open);

    /// <summary>Streams ever opened.</summary>
    public int OpenedStreams => Volatile.Read(ref _opened);

    public Stream OpenRead()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _opened);
        return new GatedStream(this);
    }

    private sealed class GatedStream(FakeFile file) : Stream
    {
        private long _position;
        private int _disposed;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => file.Data.Length;
        public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }

        public override long Seek(long offset, SeekOrigin origin)
        {
            _position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => Length + offset,
            };
            return _position;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_position >= Length || buffer.IsEmpty) return 0;
            var count = (int)Math.Min(buffer.Length, Length - _position);
            if (file.Pieces is { } pieces)
            {
                var piece = (int)(_position / pieces.PieceLength);
                await pieces.WaitForAsync(piece, cancellationToken);
                count = (int)Math.Min(count, (piece + 1L) * pieces.PieceLength - _position);
            }
            file.Data.AsSpan((int)_position, count).CopyTo(buffer.Span);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref file._open);
            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// Which pieces of a file exist yet. A reader waiting for a missing piece asks for it; with
/// <see cref="DeliverOnDemand"/> the piece "arrives" shortly after (as the engine's streaming priority would
/// fetch it first), otherwise only <see cref="Deliver"/> makes it available.
/// </summary>
internal sealed class PieceAvailability(int pieceCount, int pieceLength)
{
    private readonly bool[] _have = new bool[pieceCount];
    private readonly List<(int Piece, TaskCompletionSource Done)> _waiters = [];
    private readonly List<int> _requested = [];

    public int PieceLength => pieceLength;
    public bool DeliverOnDemand { get; init; }
    public TimeSpan DemandDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    public double Progress { get { lock (_have) return _have.Count(h => h) / (double)_have.Length; } }

    public IReadOnlyList<int> Requested { get { lock (_have) return [.. _requested]; } }

    public int Waiting { get { lock (_have) return _waiters.Count; } }

    public bool Has(int piece) { lock (_have) return _have[piece]; }

    public void Deliver(int piece)
    {
        List<TaskCompletionSource> release = [];
        lock (_have)
        {
            _have[piece] = true;
            _waiters.RemoveAll(w =>
            {
                if (w.Piece != piece) return false;
                release.Add(w.Done);
                return true;
            });
        }
        foreach (var done in release) done.TrySetResult();
    }

    public async Task WaitForAsync(int piece, CancellationToken cancellationToken)
    {
        TaskCompletionSource done;
        lock (_have)
        {
            if (_have[piece]) return;
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((piece, done));
            if (!_requested.Contains(piece)) _requested.Add(piece);
        }
        if (DeliverOnDemand)
        {
            _ = Task.Delay(DemandDelay, CancellationToken.None).ContinueWith(_ => Deliver(piece), TaskScheduler.Default);
        }
        try
        {
            await done.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_have) _waiters.RemoveAll(w => w.Done == done);
        }
    }
}
