using System.Security.Cryptography;
using System.Text.Json;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Client;

/// <summary>
/// tests/interop/client-libtorrent.py (python3-libtorrent 2.0, Debian's /usr/bin/python3) as a seeder or a downloader on
/// 127.0.0.1, and the generated data the client interop tests move.
/// </summary>
internal static class LibtorrentClient
{
    public const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(RepoPaths.Interop, "client-libtorrent.py");

    /// <summary>Starts a libtorrent seeder of <paramref name="path"/> (it creates the v1 torrent) and waits until it serves it.</summary>
    public static async Task<(ExternalProcess Process, Seeding Seeding)> StartSeederAsync(string path, int pieceLength, TimeSpan timeout)
    {
        RequirePython();
        var process = ExternalProcess.Start(Python, [Script, "seed", path, "--piece-length", pieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        try
        {
            var line = Json(await process.WaitForLineAsync(l => l.Contains("\"seeding\"", StringComparison.Ordinal) || l.Contains("\"error\"", StringComparison.Ordinal), timeout));
            if (line.GetProperty("event").GetString() != "seeding") throw new InvalidOperationException("libtorrent could not seed: " + line);
            return (process, new Seeding(line.GetProperty("info_hash").GetString()!, line.GetProperty("magnet").GetString()!, line.GetProperty("port").GetInt32()));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a libtorrent downloader of <paramref name="source"/> (magnet) into <paramref name="folder"/> that dials <paramref name="peerPort"/> on 127.0.0.1.</summary>
    public static ExternalProcess StartDownloader(string source, string folder, int peerPort, TimeSpan timeout)
    {
        RequirePython();
        return ExternalProcess.Start(Python, [Script, "download", source, "--out", folder, "--peer", $"127.0.0.1:{peerPort}",
            "--timeout", ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    public static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    private static void RequirePython()
    {
        Assert.True(File.Exists(Python), "Debian's /usr/bin/python3 with python3-libtorrent is required (eng/install-test-deps.sh)");
        Assert.True(File.Exists(Script), Script + " is missing");
    }

    /// <summary>What the seeder printed once serving.</summary>
    public sealed record Seeding(string InfoHash, string Magnet, int Port);
}

/// <summary>A file of seeded pseudo-random bytes and its SHA-1, in a temporary folder deleted on dispose.</summary>
internal sealed class GeneratedData : IDisposable
{
    private GeneratedData(string root, string path, long length, string sha1)
    {
        Root = root;
        Path = path;
        Length = length;
        Sha1 = sha1;
    }

    /// <summary>The temporary folder (the file lies in its "seed" subfolder; tests put other folders beside it).</summary>
    public string Root { get; }

    public string Path { get; }

    public long Length { get; }

    public string Sha1 { get; }

    public static async Task<GeneratedData> CreateAsync(string name, long length, int seed)
    {
        var root = Directory.CreateTempSubdirectory("client-interop-").FullName;
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(root, "seed")).FullName;
        var path = System.IO.Path.Combine(folder, name);
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
        {
            for (long written = 0; written < length;)
            {
                var chunk = (int)Math.Min(buffer.Length, length - written);
                random.NextBytes(buffer.AsSpan(0, chunk));
                sha1.AppendData(buffer, 0, chunk);
                await file.WriteAsync(buffer.AsMemory(0, chunk));
                written += chunk;
            }
        }
        return new GeneratedData(root, path, length, Convert.ToHexStringLower(sha1.GetHashAndReset()));
    }

    /// <summary>SHA-1 of a file, lower-case hex.</summary>
    public static async Task<string> Sha1OfAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA1.HashDataAsync(stream));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
