using MagnetUri;

namespace WebTorrent.Http.Catalog;

/// <summary>The torrents of a <see cref="WebTorrentClient"/> (or a single <see cref="Torrent"/>) as an <see cref="IFileCatalog"/>.</summary>
internal sealed class WebTorrentClientCatalog : IFileCatalog
{
    private readonly WebTorrentClient? _client;
    private readonly Torrent? _single;

    public WebTorrentClientCatalog(WebTorrentClient client) => _client = client;

    public WebTorrentClientCatalog(Torrent torrent) => _single = torrent;

    public IReadOnlyList<ICatalogTorrent> Torrents
    {
        get
        {
            if (_single is not null) return [new TorrentView(_single)];
            var list = new List<ICatalogTorrent>();
            foreach (var torrent in _client!.Torrents) list.Add(new TorrentView(torrent));
            list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            return list;
        }
    }

    public ICatalogTorrent? Find(InfoHash infoHash)
    {
        if (_single is not null)
        {
            var metainfo = _single.Metainfo;
            return _single.InfoHash == infoHash || metainfo?.InfoHashV1 == infoHash || metainfo?.InfoHashV2 == infoHash
                ? new TorrentView(_single)
                : null;
        }
        return _client!.Find(infoHash) is { } torrent ? new TorrentView(torrent) : null;
    }

    private sealed class TorrentView(Torrent torrent) : ICatalogTorrent
    {
        private IReadOnlyList<ICatalogFile>? _files;

        public InfoHash InfoHash => torrent.InfoHash;
        public string Name => torrent.Name;
        public bool HasMetadata => torrent.HasMetadata;
        public long Length => torrent.Length;
        public double Progress => torrent.Progress;
        public DateTimeOffset? LastModified => torrent.Metainfo?.CreationDate;

        public IReadOnlyList<ICatalogFile> Files
        {
            get
            {
                if (_files is not null) return _files;
                var files = torrent.Files;
                var views = new ICatalogFile[files.Count];
                for (var i = 0; i < views.Length; i++) views[i] = new FileView(files[i]);
                return _files = views;
            }
        }
    }

    private sealed class FileView(TorrentFile file) : ICatalogFile
    {
        public int Index => file.Index;
        public string Path => file.Path;
        public string Name => file.Name;
        public long Length => file.Length;
        public double Progress => file.Progress;
        public Stream OpenRead() => file.OpenRead();
    }
}
