namespace WebTorrent.TestSupport;

/// <summary>Where things are in the repository, found from the running test assembly.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WebTorrent.Libraries.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("WebTorrent.Libraries.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (where WebTorrent.Libraries.sln is).</summary>
    public static string Root => RootPath.Value;

    /// <summary>tests/interop: the node and browser side of the interop tests.</summary>
    public static string Interop => Path.Combine(Root, "tests", "interop");

    /// <summary>tests/interop/node_modules, failing loudly when eng/install-test-deps.sh has not run.</summary>
    public static string NodeModules
    {
        get
        {
            var path = Path.Combine(Interop, "node_modules");
            if (!Directory.Exists(path))
                throw new InvalidOperationException($"{path} is missing: run eng/install-test-deps.sh (the interop peers are required, never skipped).");
            return path;
        }
    }

    /// <summary>A file under tests/interop/node_modules.</summary>
    public static string NodeModule(string relative) => Path.Combine(NodeModules, relative);
}
