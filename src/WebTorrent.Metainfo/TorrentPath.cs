using System.Text;

namespace WebTorrent.Metainfo;

/// <summary>What to do with a file path in a torrent that could escape the download folder or is unsafe to create.</summary>
public enum UnsafePathPolicy
{
    /// <summary>Throw <see cref="InvalidTorrentException"/> (the default).</summary>
    Reject,

    /// <summary>Rewrite the unsafe segment into a safe one (e.g. <c>..</c> becomes <c>_</c>, <c>CON</c> becomes <c>_CON</c>).</summary>
    Clean,
}

/// <summary>
/// Checks and cleans the path segments a torrent names, and resolves them under a download folder with the guarantee
/// that the result stays inside it. A safe segment is non-empty, is not <c>.</c> or <c>..</c> (nor only dots and
/// spaces, which Windows trims to those), holds no separator, colon or control character, does not start with a
/// drive letter, and is not a reserved Windows device name (<c>CON</c>, <c>NUL</c>, <c>COM1</c>, ...).
/// </summary>
public static class TorrentPath
{
    private static readonly string[] ReservedNames =
    [
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    ];

    /// <summary>Why <paramref name="segment"/> is unsafe as one file or folder name, or null when it is safe.</summary>
    public static string? FindProblem(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (segment.Length == 0) return "empty path segment";
        if (segment.AsSpan().Trim(". ").IsEmpty) return $"'{segment}' is a relative reference";
        foreach (var c in segment)
        {
            if (c is '/' or '\\') return "path separator inside a segment";
            if (c == ':') return "':' (drive letter or alternate data stream)";
            if (char.IsControl(c)) return "control character";
        }
        if (IsReservedName(segment)) return $"'{segment}' is a reserved device name";
        return null;
    }

    /// <summary>True when <paramref name="segment"/> is safe as one file or folder name.</summary>
    public static bool IsSafeSegment(string segment) => FindProblem(segment) is null;

    /// <summary>Rewrites <paramref name="segment"/> into a safe name (unchanged when it already is).</summary>
    public static string Clean(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (IsSafeSegment(segment)) return segment;
        var builder = new StringBuilder(segment.Length + 1);
        foreach (var c in segment)
            builder.Append(c is '/' or '\\' or ':' || char.IsControl(c) ? '_' : c);
        var cleaned = builder.ToString().TrimEnd('.', ' ');
        if (cleaned.AsSpan().Trim(". ").IsEmpty) return "_";
        if (IsReservedName(cleaned)) cleaned = "_" + cleaned;
        return cleaned;
    }

    /// <summary>
    /// The full path of a file named by <paramref name="segments"/> under <paramref name="downloadFolder"/>. Every
    /// segment must be safe, and the result is checked to lie strictly inside the folder.
    /// </summary>
    /// <exception cref="InvalidTorrentException">A segment is unsafe or the path would leave the folder.</exception>
    public static string ResolveUnder(string downloadFolder, IReadOnlyList<string> segments)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadFolder);
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Count == 0) throw new InvalidTorrentException("path", "empty path");
        var root = Path.GetFullPath(downloadFolder);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var combined = root;
        foreach (var segment in segments)
        {
            var problem = FindProblem(segment);
            if (problem is not null) throw new InvalidTorrentException("path", problem);
            combined = Path.Join(combined, segment);
        }
        var full = Path.GetFullPath(combined);
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(rootWithSeparator, comparison))
            throw new InvalidTorrentException("path", $"'{string.Join('/', segments)}' resolves outside the download folder");
        return full;
    }

    private static bool IsReservedName(string segment)
    {
        // Windows ignores the extension and trailing dots/spaces: "nul.txt" and "CON " are devices too.
        var stem = segment.AsSpan();
        var dot = stem.IndexOf('.');
        if (dot >= 0) stem = stem[..dot];
        stem = stem.TrimEnd(' ');
        if (stem.Length is not (3 or 4 or 6 or 7)) return false;
        foreach (var reserved in ReservedNames)
            if (stem.Equals(reserved, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
