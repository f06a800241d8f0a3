using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Bencode;

namespace WebTorrent.Metainfo;

/// <summary>
/// Creates .torrent files from files, folders or streams: v1 (the default, what WebTorrent uses), hybrid v1+v2 with
/// BEP 47 padding files, or v2 only. The piece length is chosen as npm <c>create-torrent</c> chooses it, so the same
/// files with the same name give the same info-hash. Output is canonical bencode.
/// </summary>
public static partial class TorrentCreator
{
    /// <summary>
    /// The piece length <c>create-torrent</c> picks for <paramref name="totalLength"/> bytes: the power of two nearest to
    /// 1/1024th of the length (rounding the base-2 logarithm), at least 16 KiB, capped at <paramref name="maxPieceLength"/>.
    /// </summary>
    public static int ChoosePieceLength(long totalLength, int maxPieceLength = 4 * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPieceLength, 1);
        var kib = totalLength < 1024 ? 1.0 : totalLength / 1024.0;
        var shift = Math.Min((int)(Math.Log2(kib) + 0.5), 30);
        return Math.Min(Math.Max(16384, 1 << shift), maxPieceLength);
    }

    /// <summary>
    /// Creates a torrent of the file or folder at <paramref name="path"/>: a file makes a single-file torrent, a folder a
    /// multi-file torrent named after the folder, with its files in name order (hidden and junk files skipped unless
    /// <see cref="TorrentCreationOptions.FilterJunkFiles"/> is false).
    /// </summary>
    public static Task<TorrentMetainfo> CreateFromPathAsync(string path, TorrentCreationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new TorrentCreationOptions();
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (File.Exists(full))
        {
            return CreateAsync([TorrentSourceFile.FromFile(full, [options.Name ?? Path.GetFileName(full)])], options, cancellationToken);
        }
        if (!Directory.Exists(full)) throw new FileNotFoundException("No such file or folder.", path);
        var files = new List<TorrentSourceFile>();
        AddFolder(new DirectoryInfo(full), [], files, options.FilterJunkFiles);
        if (files.Count == 0) throw new ArgumentException($"The folder '{path}' holds no files.", nameof(path));
        return CreateAsync(files, options with { Name = options.Name ?? Path.GetFileName(full) }, forceMultiFile: true, cancellationToken);
    }

    /// <summary>Creates a single-file torrent named <paramref name="name"/> from <paramref name="content"/>, read to its end.</summary>
    public static Task<TorrentMetainfo> CreateAsync(Stream content, string name, TorrentCreationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return CreateAsync([TorrentSourceFile.FromStream(name, content)], (options ?? new()) with { Name = name }, cancellationToken);
    }

    /// <summary>
    /// Creates a torrent of <paramref name="files"/>. One file with a one-segment path makes a single-file torrent;
    /// otherwise a multi-file torrent whose name is <see cref="TorrentCreationOptions.Name"/>, or the first segment all
    /// paths share (which is then removed from them), or the first file's name, as create-torrent does.
    /// </summary>
    public static Task<TorrentMetainfo> CreateAsync(IReadOnlyList<TorrentSourceFile> files, TorrentCreationOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateAsync(files, options ?? new(), forceMultiFile: false, cancellationToken);

    private static async Task<TorrentMetainfo> CreateAsync(IReadOnlyList<TorrentSourceFile> files, TorrentCreationOptions options, bool forceMultiFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) throw new ArgumentException("A torrent needs at least one file.", nameof(files));
        var layout = Layout(files, options, forceMultiFile);
        if (TorrentPath.FindProblem(layout.Name) is { } nameProblem) throw new ArgumentException($"Unsafe torrent name '{layout.Name}': {nameProblem}.", nameof(options));

        var estimated = files.Sum(f => f.Length ?? 0);
        var pieceLength = options.PieceLength ?? ChoosePieceLength(estimated, options.MaxPieceLength);
        var v1 = options.Version != TorrentVersion.V2;
        var v2 = options.Version != TorrentVersion.V1;
        if (pieceLength <= 0) throw new ArgumentOutOfRangeException(nameof(options), "The piece length must be positive.");
        if (v2 && (pieceLength < MerkleTree.BlockSize || !int.IsPow2(pieceLength)))
            throw new ArgumentOutOfRangeException(nameof(options), "A v2 or hybrid torrent needs a power-of-two piece length of at least 16 KiB.");

        var entries = layout.Entries;
        if (v2) entries = [.. entries.OrderBy(e => e.Path, PathComparer.Instance)];
        CheckUnique(entries, layout.SingleFile);

        var hasher = new Hasher(pieceLength, v1, v2, options.Progress, estimated);
        var hashed = new List<HashedFile>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var (source, path) = entries[i];
            var isLast = i == entries.Count - 1;
            hashed.Add(await hasher.HashFileAsync(source, path, isLast, cancellationToken).ConfigureAwait(false));
        }
        hasher.Finish();

        var torrent = Encode(layout, hashed, hasher, pieceLength, options, v1, v2);
        return TorrentMetainfo.Parse(torrent);
    }

    private static byte[] Encode(LayoutResult layout, List<HashedFile> files, Hasher hasher, int pieceLength, TorrentCreationOptions options, bool v1, bool v2)
    {
        var info = new BencodeDictionary
        {
            ["name"] = layout.Name,
            ["piece length"] = pieceLength,
        };
        if (options.Private) info["private"] = 1;
        if (options.Source is not null) info["source"] = options.Source;
        if (v1)
        {
            info["pieces"] = hasher.V1Pieces.WrittenSpan.ToArray();
            if (layout.SingleFile)
            {
                info["length"] = files[0].Length;
            }
            else
            {
                var list = new BencodeList();
                foreach (var file in files)
                {
                    list.Add(new BencodeDictionary { ["length"] = file.Length, ["path"] = new BencodeList(file.Path.Select(s => (BencodeValue)s)) });
                    if (file.PaddingAfter > 0)
                    {
                        list.Add(new BencodeDictionary
                        {
                            ["attr"] = "p",
                            ["length"] = file.PaddingAfter,
                            ["path"] = new BencodeList([".pad", file.PaddingAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
                        });
                    }
                }
                info["files"] = list;
            }
        }
        var root = new BencodeDictionary();
        if (v2)
        {
            info["meta version"] = 2;
            var tree = new BencodeDictionary();
            var layers = new BencodeDictionary();
            foreach (var file in files)
            {
                var node = tree;
                var path = layout.SingleFile ? [layout.Name] : file.Path;
                foreach (var segment in path)
                {
                    if (!node.TryGetValue(segment, out var child)) node[segment] = child = new BencodeDictionary();
                    node = (BencodeDictionary)child;
                }
                var leaf = new BencodeDictionary { ["length"] = file.Length };
                if (file.Length > 0) leaf["pieces root"] = file.PiecesRoot!;
                node[""] = leaf;
                if (file.PieceLayer is { } layer) layers.Set(new BencodeString(file.PiecesRoot!), layer);
            }
            info["file tree"] = tree;
            root["piece layers"] = layers;
        }
        root["info"] = info;

        var tiers = (options.AnnounceList ?? []).Select(t => t.Where(u => !string.IsNullOrEmpty(u)).ToList()).Where(t => t.Count > 0).ToList();
        if (tiers.Count > 0)
        {
            root["announce"] = tiers[0][0];
            root["announce-list"] = new BencodeList(tiers.Select(t => (BencodeValue)new BencodeList(t.Select(u => (BencodeValue)u))));
        }
        if (options.UrlList is { Count: > 0 } urls) root["url-list"] = new BencodeList(urls.Select(u => (BencodeValue)u));
        if (options.Comment is not null) root["comment"] = options.Comment;
        if (options.CreatedBy is not null) root["created by"] = options.CreatedBy;
        if (options.CreationDate is { } date) root["creation date"] = date.ToUnixTimeSeconds();
        return root.ToArray();
    }

    private static LayoutResult Layout(IReadOnlyList<TorrentSourceFile> files, TorrentCreationOptions options, bool forceMultiFile)
    {
        if (files.Count == 1 && files[0].Path.Count == 1 && !forceMultiFile)
        {
            return new LayoutResult(options.Name ?? files[0].Path[0], true, [(files[0], files[0].Path)]);
        }
        var paths = files.Select(f => f.Path).ToList();
        string? name = options.Name;
        if (!forceMultiFile)
        {
            // create-torrent: a first segment shared by every path (each at least two deep) becomes the name.
            var prefix = paths.All(p => p.Count >= 2) && paths.All(p => p[0] == paths[0][0]) ? paths[0][0] : null;
            if (prefix is not null) paths = paths.Select(p => (IReadOnlyList<string>)p.Skip(1).ToArray()).ToList();
            name ??= prefix ?? files[0].Path[^1];
        }
        return new LayoutResult(name!, false, files.Select((f, i) => (f, paths[i])).ToList());
    }

    private static void CheckUnique(List<(TorrentSourceFile Source, IReadOnlyList<string> Path)> entries, bool singleFile)
    {
        if (singleFile) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, path) in entries)
        {
            var joined = string.Join('/', path);
            if (!seen.Add(joined)) throw new ArgumentException($"The path '{joined}' appears twice.", nameof(entries));
            for (var i = 1; i < path.Count; i++) folders.Add(string.Join('/', path.Take(i)));
        }
        foreach (var file in seen)
            if (folders.Contains(file)) throw new ArgumentException($"'{file}' is both a file and a folder.", nameof(entries));
    }

    private static void AddFolder(DirectoryInfo folder, List<string> prefix, List<TorrentSourceFile> files, bool filterJunk)
    {
        // Name order (ordinal, like node's readdir), depth first: the order create-torrent produces.
        var entries = folder.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (filterJunk && (entry.Name.StartsWith('.') || IsJunk(entry.Name))) continue;
            if (entry is DirectoryInfo sub)
            {
                if (sub.LinkTarget is not null) continue; // never follow links out of the folder
                AddFolder(sub, [.. prefix, sub.Name], files, filterJunk);
            }
            else if (entry is FileInfo file && file.LinkTarget is null)
            {
                files.Add(TorrentSourceFile.FromFile(file.FullName, [.. prefix, file.Name]));
            }
        }
    }

    private static bool IsJunk(string name) => JunkRegex().IsMatch(name);

    [GeneratedRegex(@"^npm-debug\.log$|^Thumbs\.db$|^ehthumbs\.db$|^[Dd]esktop\.ini$|^__MACOSX$|~$|@eaDir$|^Icon\r$|\.Trashes", RegexOptions.CultureInvariant)]
    private static partial Regex JunkRegex();

    private sealed record LayoutResult(string Name, bool SingleFile, List<(TorrentSourceFile Source, IReadOnlyList<string> Path)> Entries);

    private sealed class HashedFile(IReadOnlyList<string> path, long length)
    {
        public IReadOnlyList<string> Path { get; } = path;
        public long Length { get; } = length;
        public long PaddingAfter { get; set; }
        public byte[]? PiecesRoot { get; set; }
        public byte[]? PieceLayer { get; set; }
    }

    private sealed class PathComparer : IComparer<IReadOnlyList<string>>
    {
        public static readonly PathComparer Instance = new();

        public int Compare(IReadOnlyList<string>? x, IReadOnlyList<string>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                // Dictionary keys sort by raw UTF-8 bytes, which is code point order, not UTF-16 order.
                var c = Encoding.UTF8.GetBytes(x[i]).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y[i]));
                if (c != 0) return c;
            }
            return x.Count.CompareTo(y.Count);
        }
    }

    /// <summary>Streams every file through one piece buffer, producing v1 SHA-1 pieces and v2 merkle roots and layers.</summary>
    private sealed class Hasher(int pieceLength, bool v1, bool v2, IProgress<TorrentCreationProgress>? progress, long estimated)
    {
        private readonly byte[] _piece = new byte[pieceLength];
        private readonly int _blocksPerPiece = pieceLength / MerkleTree.BlockSize;
        private int _filled;
        private long _hashed;

        public ArrayBufferWriter<byte> V1Pieces { get; } = new();

        public async Task<HashedFile> HashFileAsync(TorrentSourceFile source, IReadOnlyList<string> path, bool isLast, CancellationToken cancellationToken)
        {
            long length = 0;
            var fileLayer = v2 ? new ArrayBufferWriter<byte>() : null;
            byte[]? firstPieceRoot = null;
            var filePieces = 0;
            var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    var read = await stream.ReadAsync(_piece.AsMemory(_filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0) break;
                    _filled += read;
                    length += read;
                    _hashed += read;
                    if (_filled == _piece.Length)
                    {
                        if (v2) AddV2Piece(fileLayer!, ref firstPieceRoot, ref filePieces, _filled, partialAtEnd: false);
                        CompleteV1Piece();
                    }
                }
            }
            if (source.Length is { } expected && expected != length)
                throw new IOException($"'{string.Join('/', source.Path)}' was {expected} bytes but {length} were read: it changed while hashing.");

            var file = new HashedFile(path, length);
            if (v2)
            {
                // A file's last partial piece: v2 hashes only its own bytes; v1 pads it to the boundary unless it is last.
                if (_filled > 0) AddV2Piece(fileLayer!, ref firstPieceRoot, ref filePieces, _filled, partialAtEnd: true);
                if (filePieces == 1) file.PiecesRoot = firstPieceRoot;
                else if (filePieces > 1)
                {
                    var layer = fileLayer!.WrittenSpan;
                    file.PieceLayer = layer.ToArray();
                    file.PiecesRoot = MerkleTree.RootFromPieceLayer(layer, pieceLength);
                }
                if (_filled > 0 && !v1)
                {
                    CompleteV1Piece();
                }
                else if (_filled > 0 && !isLast)
                {
                    file.PaddingAfter = _piece.Length - _filled;
                    _piece.AsSpan(_filled).Clear();
                    _filled = _piece.Length;
                    CompleteV1Piece();
                }
            }
            return file;
        }

        public void Finish()
        {
            if (_filled > 0) CompleteV1Piece();
        }

        private void AddV2Piece(ArrayBufferWriter<byte> layer, ref byte[]? firstPieceRoot, ref int filePieces, int dataLength, bool partialAtEnd)
        {
            var blocks = (dataLength + MerkleTree.BlockSize - 1) / MerkleTree.BlockSize;
            var blockHashes = new byte[blocks * MerkleTree.HashSize];
            for (var b = 0; b < blocks; b++)
            {
                var start = b * MerkleTree.BlockSize;
                SHA256.HashData(_piece.AsSpan(start, Math.Min(MerkleTree.BlockSize, dataLength - start)), blockHashes.AsSpan(b * MerkleTree.HashSize));
            }
            // A file of at most one piece has a tree only as wide as its blocks; inside a longer file every piece is full width.
            var leafCount = partialAtEnd && filePieces == 0 ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)blocks) : _blocksPerPiece;
            var root = MerkleTree.PieceRoot(blockHashes, leafCount);
            if (filePieces == 0) firstPieceRoot = root;
            layer.Write(root);
            filePieces++;
        }

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "BEP 3 defines v1 pieces as SHA-1.")]
        private void CompleteV1Piece()
        {
            if (v1)
            {
                var hash = V1Pieces.GetSpan(20);
                SHA1.HashData(_piece.AsSpan(0, _filled), hash);
                V1Pieces.Advance(20);
            }
            _filled = 0;
            progress?.Report(new TorrentCreationProgress(_hashed, estimated));
        }
    }
}
