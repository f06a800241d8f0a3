namespace WebTorrent.Verifier;

/// <summary>Keeps torrent-supplied relative paths inside the directory they belong to.</summary>
internal static class StoragePaths
{
    public static void Validate(string path, string parameterName)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("A file path is empty.", parameterName);
        }

        if (Path.IsPathRooted(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"File path '{path}' must be relative.", parameterName);
        }

        foreach (var component in path.Split('/', '\\'))
        {
            if (component is "" or "." or "..")
            {
                throw new ArgumentException($"File path '{path}' has an empty, '.' or '..' component.", parameterName);
            }
        }
    }

    public static string Combine(string directory, string relativePath)
    {
        var native = relativePath.Replace('/', Path.DirectorySeparatorChar).Replace('\\', Path.DirectorySeparatorChar);
        return Path.Join(directory, native);
    }
}
