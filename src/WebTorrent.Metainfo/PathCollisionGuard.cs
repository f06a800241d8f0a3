namespace WebTorrent.Metainfo;

/// <summary>
/// Finds files of one torrent that would overwrite each other on Windows or a case-insensitive file system: paths
/// that differ only in case or in trailing dots and spaces (which Windows drops), and a file standing where another
/// file needs a folder. Under <see cref="UnsafePathPolicy.Reject"/> such a file is refused; under
/// <see cref="UnsafePathPolicy.Clean"/> the colliding segment is renamed apart (<c>a.txt</c> -> <c>a~2.txt</c>).
/// Folders spelt differently merge harmlessly and are accepted.
/// </summary>
internal sealed class PathCollisionGuard(UnsafePathPolicy policy)
{
    // A tree of folded names: each file costs its own path length, however deep or numerous the files.
    private readonly Node _root = new(isFile: false, segment: "", parent: null);

    /// <summary>Claims <paramref name="segments"/> for one file, renaming a segment in place when cleaning.</summary>
    /// <exception cref="InvalidTorrentException">The path collides and the policy is to reject.</exception>
    public void Claim(List<string> segments, Func<string> field)
    {
        var node = _root;
        for (var i = 0; i < segments.Count; i++)
        {
            var isFile = i == segments.Count - 1;
            if (node.Children.TryGetValue(Fold(segments[i]), out var existing))
            {
                if (!isFile && !existing.IsFile)
                {
                    node = existing;
                    continue;
                }
                if (policy == UnsafePathPolicy.Reject)
                    throw new InvalidTorrentException(field(), $"'{string.Join('/', segments)}' collides with {(existing.IsFile ? "file" : "folder")} " +
                        $"'{existing.FullPath()}' on Windows and case-insensitive file systems");
                segments[i] = node.FreeName(segments[i], isFile);
            }
            var child = new Node(isFile, segments[i], node);
            node.Children.Add(Fold(segments[i]), child);
            node = child;
        }
    }

    /// <summary>The name as Windows and macOS compare it by default: trailing dots and spaces dropped, case folded.</summary>
    private static string Fold(string segment) => segment.TrimEnd('.', ' ').ToUpperInvariant();

    private sealed class Node(bool isFile, string segment, Node? parent)
    {
        public bool IsFile { get; } = isFile;

        private Node? Parent { get; } = parent;

        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);

        /// <summary>The path as first spelt, for error messages only (built on demand: cheap parsing).</summary>
        public string FullPath() => Parent is null || Parent.Parent is null ? segment : Parent.FullPath() + "/" + segment;

        // The next suffix to try per folded name, so that many copies of one name are renamed in linear time.
        private Dictionary<string, int>? _nextSuffix;

        public string FreeName(string segment, bool isFile)
        {
            _nextSuffix ??= new(StringComparer.Ordinal);
            var folded = Fold(segment);
            var suffix = _nextSuffix.GetValueOrDefault(folded, 2);
            var dot = isFile ? segment.LastIndexOf('.') : -1;
            var (stem, extension) = dot > 0 ? (segment[..dot], segment[dot..]) : (segment, "");
            string candidate;
            do candidate = $"{stem}~{suffix++}{extension}";
            while (Children.ContainsKey(Fold(candidate)));
            _nextSuffix[folded] = suffix;
            return candidate;
        }
    }
}
