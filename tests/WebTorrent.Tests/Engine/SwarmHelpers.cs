using System.Security.Cryptography;
using WebTorrent.Metainfo;
using WebTorrent.TestSupport;

namespace WebTorrent.Tests.Engine;

/// <summary>Temp folders, generated content, clients without listeners and in-memory connections between torrents.</summary>
internal sealed class Swarm : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly List<WebTorrentClient> _clients = [];

    public Swarm()
    {
        Root = Path.Combine(Path.GetTempPath(), "wt-engine-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes random files under <c>seed/name/</c> and returns the folder holding them and their bytes.</summary>
    public (string Path, Dictionary<string, byte[]> Files) WriteContent(string name, int seed, params (string Path, int Length)[] files)
    {
        var random = new Random(seed);
        var root = Path.Combine(Folder("seed"), name);
        var contents = new Dictionary<string, byte[]>();
        foreach (var (path, length) in files)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
            contents[path] = bytes;
        }
        return (root, contents);
    }

    public WebTorrentClient Client(WebTorrentClientOptions? options = null, string? folder = null)
    {
        // No built-in discovery in these tests: no DHT bootstrap, no multicast, peers come from the tests.
        var client = new WebTorrentClient((options ?? new WebTorrentClientOptions { ListenPort = null }) with
        {
            EnableDht = false,
            EnableTrackers = false,
            EnableLocalDiscovery = false,
            DownloadFolder = folder ?? Folder("client" + _clients.Count),
            LoggerFactory = TestLoggerFactory.FromEnvironment("client" + _clients.Count),
        });
        _clients.Add(client);
        return client;
    }

    public static async Task ConnectAsync(Torrent from, Torrent to)
    {
        var (a, b) = DuplexPipePair.Create();
        using var cts = new CancellationTokenSource(Timeout);
        await Task.WhenAll(from.AddPeerAsync(a, outgoing: true, cts.Token), to.AddPeerAsync(b, outgoing: false, cts.Token));
    }

    public static void AssertSameFiles(Dictionary<string, byte[]> expected, string folder)
    {
        foreach (var (path, bytes) in expected)
        {
            var actual = File.ReadAllBytes(Path.Combine(folder, path));
            Assert.True(SHA256.HashData(bytes).AsSpan().SequenceEqual(SHA256.HashData(actual)), $"{path} differs");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
