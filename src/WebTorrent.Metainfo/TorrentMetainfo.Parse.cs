using System.Security.Cryptography;
using System.Text;
using Bencode;
using MagnetUri;

namespace WebTorrent.Metainfo;

public sealed partial class TorrentMetainfo
{
    /// <summary>Parses a .torrent file. The buffer is referenced, not copied: keep it unchanged.</summary>
    /// <exception cref="InvalidTorrentException">The torrent is malformed, over a limit, or names an unsafe path.</exception>
    public static TorrentMetainfo Parse(ReadOnlyMemory<byte> torrent, TorrentParseOptions? options = null)
    {
        options ??= TorrentParseOptions.Default;
        if (torrent.Length > options.MaxTorrentSize)
            throw new InvalidTorrentException("", $"{torrent.Length} bytes exceeds the limit of {options.MaxTorrentSize}");
        var root = Decode(torrent, options, "");
        var info = root.Get<BencodeDictionary>("info")
            ?? throw new InvalidTorrentException("info", root.ContainsKey("info") ? "must be a dictionary" : "missing");
        var metainfo = new TorrentMetainfo { Root = root, TorrentBytes = torrent };
        metainfo.ReadInfo(info, options);
        metainfo.ReadTopLevel(root, options);
        return metainfo;
    }

    /// <summary>Parses a .torrent file held in <paramref name="torrent"/> (not copied).</summary>
    /// <exception cref="InvalidTorrentException">The torrent is malformed, over a limit, or names an unsafe path.</exception>
    public static TorrentMetainfo Parse(byte[] torrent, TorrentParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return Parse(torrent.AsMemory(), options);
    }

    /// <summary>Reads and parses the .torrent file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidTorrentException">The torrent is malformed, over a limit, or names an unsafe path.</exception>
    public static TorrentMetainfo Load(string path, TorrentParseOptions? options = null)
    {
        options ??= TorrentParseOptions.Default;
        CheckFileSize(path, options);
        return Parse(File.ReadAllBytes(path), options);
    }

    /// <summary>Reads and parses the .torrent file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidTorrentException">The torrent is malformed, over a limit, or names an unsafe path.</exception>
    public static async Task<TorrentMetainfo> LoadAsync(string path, TorrentParseOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= TorrentParseOptions.Default;
        CheckFileSize(path, options);
        return Parse(await File.ReadAllBytesAsync(path, cancellationToken), options);
    }

    /// <summary>
    /// Builds a torrent from a bare <c>info</c> dictionary, as received with ut_metadata (BEP 9) after a magnet link.
    /// <see cref="TorrentBytes"/> is then a minimal .torrent holding just that dictionary.
    /// </summary>
    /// <exception cref="InvalidTorrentException">The dictionary is malformed, over a limit, or names an unsafe path.</exception>
    public static TorrentMetainfo ParseInfo(ReadOnlyMemory<byte> info, TorrentParseOptions? options = null)
    {
        options ??= TorrentParseOptions.Default;
        if (info.Length > options.MaxInfoSize)
            throw new InvalidTorrentException("info", $"{info.Length} bytes exceeds the limit of {options.MaxInfoSize}");
        var torrent = new byte[info.Length + 8];
        "d4:info"u8.CopyTo(torrent);
        info.Span.CopyTo(torrent.AsSpan(7));
        torrent[^1] = (byte)'e';
        var root = Decode(torrent, options, "info");
        var infoDictionary = root.Get<BencodeDictionary>("info") ?? throw new InvalidTorrentException("info", "must be a dictionary");
        var metainfo = new TorrentMetainfo { Root = root, TorrentBytes = torrent };
        metainfo.ReadInfo(infoDictionary, options);
        return metainfo;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "BEP 3 defines the v1 info-hash as SHA-1.")]
    private static InfoHash ComputeV1(ReadOnlySpan<byte> info) => InfoHash.FromV1(SHA1.HashData(info));

    private static void CheckFileSize(string path, TorrentParseOptions options)
    {
        var length = new FileInfo(path).Length;
        if (length > options.MaxTorrentSize)
            throw new InvalidTorrentException("", $"{path} is {length} bytes, over the limit of {options.MaxTorrentSize}");
    }

    private static BencodeDictionary Decode(ReadOnlyMemory<byte> data, TorrentParseOptions options, string field)
    {
        try
        {
            return BencodeSerializer.DecodeDictionary(data, options.Bencode);
        }
        catch (BencodeException e)
        {
            throw new InvalidTorrentException(field, "not valid bencode: " + e.Message, e);
        }
    }

    private void ReadInfo(BencodeDictionary info, TorrentParseOptions options)
    {
        Info = info;
        InfoBytes = info.RawBytes;
        if (InfoBytes.Length > options.MaxInfoSize)
            throw new InvalidTorrentException("info", $"{InfoBytes.Length} bytes exceeds the limit of {options.MaxInfoSize}");

        var metaVersion = info.TryGetValue("meta version", out var mv) ? (mv as BencodeInteger)?.Value
            ?? throw new InvalidTorrentException("info.meta version", "must be an integer") : 1;
        if (metaVersion is not (1 or 2)) throw new InvalidTorrentException("info.meta version", $"unsupported version {metaVersion}");
        var hasV2 = metaVersion == 2;
        var hasV1 = info.ContainsKey("pieces");
        if (!hasV1 && !hasV2) throw new InvalidTorrentException("info.pieces", "missing");
        if (hasV2 && !info.ContainsKey("file tree")) throw new InvalidTorrentException("info.file tree", "missing in a meta version 2 torrent");
        Version = hasV1 && hasV2 ? TorrentVersion.Hybrid : hasV2 ? TorrentVersion.V2 : TorrentVersion.V1;
        if (hasV1) InfoHashV1 = ComputeV1(InfoBytes.Span);
        if (hasV2) InfoHashV2 = InfoHash.FromV2(SHA256.HashData(InfoBytes.Span));

        var rawName = Text(info, "name.utf-8") ?? Text(info, "name")
            ?? throw new InvalidTorrentException("info.name", info.ContainsKey("name") ? "must be a byte string" : "missing");
        Name = SafeSegment(rawName, "info.name", options);

        var pieceLength = info.GetInt64("piece length") ?? throw new InvalidTorrentException("info.piece length", "missing or not an integer");
        if (pieceLength <= 0 || pieceLength > options.MaxPieceLength)
            throw new InvalidTorrentException("info.piece length", $"{pieceLength} is out of range (1 to {options.MaxPieceLength})");
        if (hasV2 && (pieceLength < 16384 || !long.IsPow2(pieceLength)))
            throw new InvalidTorrentException("info.piece length", "a v2 piece length must be a power of two of at least 16 KiB");
        PieceLength = (int)pieceLength;

        IsPrivate = info.GetInt64("private") is { } p && p != 0;
        Source = Text(info, "source");

        List<TorrentFileEntry>? v1Files = hasV1 ? ReadV1Files(info, options) : null;
        List<TorrentFileEntry>? v2Files = hasV2 ? ReadV2Files(info, options, hasV1) : null;
        if (v1Files is not null && v2Files is not null) MatchHybrid(v1Files, v2Files);
        var files = v1Files ?? v2Files!;
        Files = files;
        foreach (var file in files)
        {
            // Cannot overflow: the file offsets, which bound this sum, were checked as they were read.
            TotalLength += file.Length;
            if (!file.IsPadding) ContentLength += file.Length;
        }

        if (hasV1)
        {
            var pieces = info.Get<BencodeString>("pieces") ?? throw new InvalidTorrentException("info.pieces", "must be a byte string");
            if (pieces.Length % 20 != 0) throw new InvalidTorrentException("info.pieces", $"length {pieces.Length} is not a multiple of 20");
            var expected = PiecesFor(TotalLength);
            if (pieces.Length / 20 != expected)
                throw new InvalidTorrentException("info.pieces", $"{pieces.Length / 20} piece hashes for {expected} pieces of {TotalLength} bytes");
            PieceHashes = pieces.Bytes;
            PieceCount = (int)expected;
            LastPieceLength = TotalLength == 0 ? 0 : (int)(TotalLength - ((long)(PieceCount - 1) * PieceLength));
        }
        else
        {
            long count = 0;
            foreach (var file in files) count += PiecesFor(file.Length);
            if (count > int.MaxValue) throw new InvalidTorrentException("info.file tree", "too many pieces");
            PieceCount = (int)count;
            var last = files.LastOrDefault(f => f.Length > 0);
            LastPieceLength = last is null ? 0 : (int)(last.Length - ((last.Length - 1) / PieceLength * PieceLength));
        }
    }

    /// <summary>How many pieces hold <paramref name="length"/> bytes, without overflowing near <see cref="long.MaxValue"/>.</summary>
    private long PiecesFor(long length) => length / PieceLength + (length % PieceLength == 0 ? 0 : 1);

    private List<TorrentFileEntry> ReadV1Files(BencodeDictionary info, TorrentParseOptions options)
    {
        if (!info.TryGetValue("files", out var filesValue))
        {
            var length = info.GetInt64("length") ?? throw new InvalidTorrentException("info.length", "missing or not an integer");
            if (length < 0) throw new InvalidTorrentException("info.length", "negative");
            IsSingleFile = true;
            return [new TorrentFileEntry([Name], length, 0, ReadAttributes(info))];
        }
        if (filesValue is not BencodeList list) throw new InvalidTorrentException("info.files", "must be a list");
        if (list.Count == 0) throw new InvalidTorrentException("info.files", "empty");
        if (list.Count > options.MaxFileCount)
            throw new InvalidTorrentException("info.files", $"{list.Count} files exceeds the limit of {options.MaxFileCount}");
        var files = new List<TorrentFileEntry>(list.Count);
        var collisions = new PathCollisionGuard(options.UnsafePaths);
        long offset = 0;
        for (var i = 0; i < list.Count; i++)
        {
            // Field names are only formatted when something is wrong: parsing stays cheap for torrents with many files.
            var field = new Field("info.files", i, "");
            var pathField = field with { Suffix = ".path" };
            if (list[i] is not BencodeDictionary entry) throw new InvalidTorrentException(field.ToString(), "must be a dictionary");
            var length = entry.GetInt64("length") ?? throw new InvalidTorrentException((field with { Suffix = ".length" }).ToString(), "missing or not an integer");
            if (length < 0) throw new InvalidTorrentException((field with { Suffix = ".length" }).ToString(), "negative");
            var pathList = entry.Get<BencodeList>("path.utf-8") ?? entry.Get<BencodeList>("path")
                ?? throw new InvalidTorrentException(pathField.ToString(), "missing or not a list");
            var segments = new List<string>(pathList.Count + 1) { Name };
            foreach (var segmentValue in pathList)
            {
                if (segmentValue is not BencodeString segment) throw new InvalidTorrentException(pathField.ToString(), "segments must be byte strings");
                AddSegment(segments, segment.ToString(), pathField, options);
            }
            var attributes = ReadAttributes(entry);
            FinishPath(segments, pathField, options);
            if ((attributes & TorrentFileAttributes.Padding) == 0) collisions.Claim(segments, pathField.ToString);
            var file = new TorrentFileEntry(segments, length, offset, attributes);
            if ((attributes & TorrentFileAttributes.Symlink) != 0) file.SymlinkPath = ReadSymlink(entry, field.ToString(), options);
            files.Add(file);
            if (length > long.MaxValue - offset)
                throw new InvalidTorrentException((field with { Suffix = ".length" }).ToString(), "the files' total length overflows 64 bits");
            offset += length;
        }
        return files;
    }

    private List<TorrentFileEntry> ReadV2Files(BencodeDictionary info, TorrentParseOptions options, bool hasV1)
    {
        var tree = info.Get<BencodeDictionary>("file tree") ?? throw new InvalidTorrentException("info.file tree", "must be a dictionary");
        var found = new List<(List<string> Path, BencodeDictionary Node, TorrentFileAttributes Attributes)>();
        WalkFileTree(tree, [], found, options, 0);
        if (found.Count == 0) throw new InvalidTorrentException("info.file tree", "no files");
        // In a hybrid the v1 part decides the layout; a v2-only single file sits alone at the root of the tree.
        var single = hasV1 ? IsSingleFile : found.Count == 1 && found[0].Path.Count == 1;
        if (single && found.Count != 1) throw new InvalidTorrentException("info.file tree", "a single-file v1 part with several v2 files");
        IsSingleFile = single;
        var files = new List<TorrentFileEntry>(found.Count);
        var collisions = new PathCollisionGuard(options.UnsafePaths);
        long offset = 0;
        foreach (var (treePath, node, attributes) in found)
        {
            var field = "info.file tree/" + string.Join('/', treePath);
            var length = node.GetInt64("length") ?? throw new InvalidTorrentException(field + ".length", "missing or not an integer");
            if (length < 0) throw new InvalidTorrentException(field + ".length", "negative");
            List<string> segments;
            if (single)
            {
                segments = [Name];
            }
            else
            {
                segments = [Name];
                foreach (var s in treePath) AddSegment(segments, s, new Field(field, -1, ""), options);
                FinishPath(segments, new Field(field, -1, ""), options);
                collisions.Claim(segments, () => field);
            }
            var file = new TorrentFileEntry(segments, length, offset, attributes);
            if (length > 0)
            {
                var root = node.Get<BencodeString>("pieces root");
                if (root is null || root.Length != 32) throw new InvalidTorrentException(field + ".pieces root", "missing or not 32 bytes");
                file.PiecesRoot = root.Bytes;
            }
            files.Add(file);
            // v2 files start on piece boundaries: the offset advances by whole pieces.
            if (PiecesFor(length) > (long.MaxValue - offset) / PieceLength)
                throw new InvalidTorrentException(field + ".length", "the files' total length, in whole pieces, overflows 64 bits");
            offset += PiecesFor(length) * PieceLength;
        }
        return files;
    }

    private static void WalkFileTree(BencodeDictionary node, List<string> path, List<(List<string>, BencodeDictionary, TorrentFileAttributes)> found,
        TorrentParseOptions options, int depth)
    {
        if (depth > options.MaxPathDepth)
            throw new InvalidTorrentException("info.file tree", $"deeper than {options.MaxPathDepth} folders");
        foreach (var (key, value) in node)
        {
            if (value is not BencodeDictionary child)
                throw new InvalidTorrentException("info.file tree/" + string.Join('/', path), "entries must be dictionaries");
            if (key.Length == 0)
            {
                if (path.Count == 0 || node.Count != 1)
                    throw new InvalidTorrentException("info.file tree/" + string.Join('/', path), "a file entry must be alone under its name");
                found.Add((path, child, ReadAttributes(child)));
                if (found.Count > options.MaxFileCount)
                    throw new InvalidTorrentException("info.file tree", $"more files than the limit of {options.MaxFileCount}");
                continue;
            }
            WalkFileTree(child, [.. path, key.ToString()], found, options, depth + 1);
        }
    }

    private void MatchHybrid(List<TorrentFileEntry> v1Files, List<TorrentFileEntry> v2Files)
    {
        // A hybrid must describe the same content both ways, or v1 and v2 peers would download different files.
        var index = 0;
        foreach (var file in v1Files)
        {
            if (file.IsPadding) continue;
            if (index >= v2Files.Count)
                throw new InvalidTorrentException("info.files", "the v1 file list has more files than the v2 file tree");
            var v2 = v2Files[index++];
            if (v2.Length != file.Length || (!IsSingleFile && v2.Path != file.Path))
                throw new InvalidTorrentException("info.files", $"v1 file '{file.Path}' does not match v2 file '{v2.Path}'");
            file.PiecesRoot = v2.PiecesRoot;
            if (file.Length > 0 && file.Offset % PieceLength != 0)
                throw new InvalidTorrentException("info.files", $"'{file.Path}' is not aligned to a piece boundary");
        }
        if (index != v2Files.Count) throw new InvalidTorrentException("info.file tree", "the v2 file tree has more files than the v1 file list");
    }

    private void ReadTopLevel(BencodeDictionary root, TorrentParseOptions options)
    {
        Announce = Text(root, "announce");
        var tiers = new List<IReadOnlyList<string>>();
        if (root.Get<BencodeList>("announce-list") is { } announceList)
        {
            foreach (var tierValue in announceList)
            {
                // Lenient: tolerate a bare URL where a tier should be, skip anything else malformed.
                var tier = new List<string>();
                if (tierValue is BencodeList tierList)
                {
                    foreach (var url in tierList)
                        if (url is BencodeString s && s.Length > 0) tier.Add(s.ToString());
                }
                else if (tierValue is BencodeString bare && bare.Length > 0)
                {
                    tier.Add(bare.ToString());
                }
                if (tier.Count > 0) tiers.Add(tier);
            }
        }
        if (tiers.Count == 0 && !string.IsNullOrEmpty(Announce)) tiers.Add([Announce]);
        AnnounceList = tiers;
        Trackers = tiers.SelectMany(t => t).Distinct(StringComparer.Ordinal).ToList();

        var urls = new List<string>();
        if (root.TryGetValue("url-list", out var urlList))
        {
            if (urlList is BencodeString one && one.Length > 0) urls.Add(one.ToString());
            else if (urlList is BencodeList many)
                foreach (var url in many)
                    if (url is BencodeString s && s.Length > 0) urls.Add(s.ToString());
        }
        UrlList = urls.Distinct(StringComparer.Ordinal).ToList();

        CreatedBy = Text(root, "created by");
        Comment = Text(root, "comment.utf-8") ?? Text(root, "comment");
        if (root.GetInt64("creation date") is { } created) CreationDate = FromUnixTime(created);

        if (Version != TorrentVersion.V1 && root.Get<BencodeDictionary>("piece layers") is { } layers) ReadPieceLayers(layers, options);
    }

    private void ReadPieceLayers(BencodeDictionary layers, TorrentParseOptions options)
    {
        foreach (var file in Files)
        {
            if (file.Length <= PieceLength || file.PiecesRoot.IsEmpty) continue;
            if (!layers.TryGetValue(file.PiecesRoot.Span, out var layerValue)) continue;
            var field = $"piece layers[{file.Path}]";
            if (layerValue is not BencodeString layer) throw new InvalidTorrentException(field, "must be a byte string");
            var pieces = PiecesFor(file.Length);
            if (layer.Length != pieces * 32) throw new InvalidTorrentException(field, $"{layer.Length} bytes for {pieces} pieces");
            if (options.VerifyPieceLayers && !MerkleTree.RootFromPieceLayer(layer.Span, PieceLength).AsSpan().SequenceEqual(file.PiecesRoot.Span))
                throw new InvalidTorrentException(field, "does not hash to the file's pieces root");
            file.PieceLayer = layer.Bytes;
        }
    }

    private static TorrentFileAttributes ReadAttributes(BencodeDictionary entry)
    {
        var attributes = TorrentFileAttributes.None;
        if (entry.Get<BencodeString>("attr") is not { } attr) return attributes;
        foreach (var b in attr.Span)
        {
            attributes |= b switch
            {
                (byte)'p' => TorrentFileAttributes.Padding,
                (byte)'x' => TorrentFileAttributes.Executable,
                (byte)'h' => TorrentFileAttributes.Hidden,
                (byte)'l' => TorrentFileAttributes.Symlink,
                _ => TorrentFileAttributes.None,
            };
        }
        return attributes;
    }

    private static List<string>? ReadSymlink(BencodeDictionary entry, string field, TorrentParseOptions options)
    {
        if (entry.Get<BencodeList>("symlink path") is not { } target) return null;
        var segments = new List<string>(target.Count);
        foreach (var value in target)
        {
            if (value is not BencodeString s) throw new InvalidTorrentException(field + ".symlink path", "segments must be byte strings");
            AddSegment(segments, s.ToString(), new Field(field, -1, ".symlink path"), options);
        }
        return segments;
    }

    private static void AddSegment(List<string> segments, string segment, Field field, TorrentParseOptions options)
    {
        var problem = TorrentPath.FindProblem(segment);
        if (problem is null) segments.Add(segment);
        else if (options.UnsafePaths == UnsafePathPolicy.Reject) throw new InvalidTorrentException(field.ToString(), "unsafe path: " + problem);
        else if (segment.Length > 0) segments.Add(TorrentPath.Clean(segment));
        // Clean mode drops empty segments rather than inventing names for them.
    }

    private static void FinishPath(List<string> segments, Field field, TorrentParseOptions options)
    {
        if (segments.Count == 1)
        {
            if (options.UnsafePaths == UnsafePathPolicy.Reject) throw new InvalidTorrentException(field.ToString(), "empty path");
            segments.Add("_");
        }
        if (segments.Count - 1 > options.MaxPathDepth)
            throw new InvalidTorrentException(field.ToString(), $"{segments.Count - 1} segments exceeds the limit of {options.MaxPathDepth}");
        var length = 0;
        foreach (var segment in segments) length += segment.Length + 1;
        if (length > options.MaxPathLength)
            throw new InvalidTorrentException(field.ToString(), $"{length} characters exceeds the limit of {options.MaxPathLength}");
    }

    /// <summary>A field name such as <c>info.files[3].path</c>, formatted only when an error is reported.</summary>
    private readonly record struct Field(string Prefix, int Index, string Suffix)
    {
        public override string ToString() => Index < 0 ? Prefix + Suffix : $"{Prefix}[{Index}]{Suffix}";
    }

    private static string SafeSegment(string segment, string field, TorrentParseOptions options)
    {
        var problem = TorrentPath.FindProblem(segment);
        if (problem is null) return segment;
        if (options.UnsafePaths == UnsafePathPolicy.Reject) throw new InvalidTorrentException(field, "unsafe name: " + problem);
        return TorrentPath.Clean(segment);
    }

    private static string? Text(BencodeDictionary dictionary, string key) =>
        dictionary.Get<BencodeString>(key) is { } value ? Encoding.UTF8.GetString(value.Span) : null;

    private static DateTimeOffset? FromUnixTime(long value)
    {
        const long maxSeconds = 253402300799; // 9999-12-31
        const long minSeconds = -62135596800; // 0001-01-01
        if (value is >= minSeconds and <= maxSeconds) return DateTimeOffset.FromUnixTimeSeconds(value);
        if (value > maxSeconds && value / 1000 <= maxSeconds) return DateTimeOffset.FromUnixTimeMilliseconds(value);
        return null;
    }
}
