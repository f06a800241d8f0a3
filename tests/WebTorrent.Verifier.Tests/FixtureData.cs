using System.Text;
using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

/// <summary>
/// Loads the third-party fixtures (made by mktorrent and libtorrent, see Fixtures/generate.py) and recreates the files
/// they describe. A tiny bencode reader lives here so the tests do not depend on our own Bencode/Metainfo packages.
/// </summary>
internal static class FixtureData
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>Same bytes as content() in Fixtures/generate.py: an LCG seeded by the length.</summary>
    public static byte[] Content(long length)
    {
        var state = unchecked((uint)((length * 2654435761L) + 12345));
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            state = unchecked((state * 1103515245u) + 12345u);
            bytes[i] = (byte)((state >> 16) & 0xFF);
        }

        return bytes;
    }

    public static Sha1TorrentLayout LoadV1(string name)
    {
        var root = (Dictionary<string, object>)Bdecode(File.ReadAllBytes(FixturePath(name)));
        var info = (Dictionary<string, object>)root["info"];
        var pieceLength = checked((int)(long)info["piece length"]);
        var pieces = (byte[])info["pieces"];
        var files = new List<TorrentFileEntry>();
        if (info.TryGetValue("files", out var list))
        {
            foreach (Dictionary<string, object> file in (List<object>)list)
            {
                var path = string.Join('/', ((List<object>)file["path"]).Select(p => Encoding.UTF8.GetString((byte[])p)));
                var padding = file.TryGetValue("attr", out var attr) && ((byte[])attr).Contains((byte)'p');
                files.Add(new TorrentFileEntry(path, (long)file["length"], padding));
            }
        }
        else
        {
            files.Add(new TorrentFileEntry(Encoding.UTF8.GetString((byte[])info["name"]), (long)info["length"]));
        }

        return new Sha1TorrentLayout(pieceLength, pieces, files);
    }

    public static MerkleTorrentLayout LoadV2(string name)
    {
        name = name.Replace(":v2", "", StringComparison.Ordinal);
        var root = (Dictionary<string, object>)Bdecode(File.ReadAllBytes(FixturePath(name)));
        var info = (Dictionary<string, object>)root["info"];
        var pieceLength = checked((int)(long)info["piece length"]);
        var layers = root.TryGetValue("piece layers", out var l) ? (Dictionary<string, object>)l : [];
        var files = new List<MerkleFileEntry>();
        Walk((Dictionary<string, object>)info["file tree"], "");
        return new MerkleTorrentLayout(pieceLength, files);

        void Walk(Dictionary<string, object> tree, string prefix)
        {
            // Dictionary keeps insertion order, which is the file tree's sorted key order.
            foreach (var (key, value) in tree)
            {
                var node = (Dictionary<string, object>)value;
                if (key.Length == 0)
                {
                    var length = (long)node["length"];
                    var piecesRoot = node.TryGetValue("pieces root", out var r) ? (byte[])r : [];
                    var layer = piecesRoot.Length > 0 && layers.TryGetValue(Latin1(piecesRoot), out var layerBytes) ? (byte[])layerBytes : [];
                    files.Add(new MerkleFileEntry(prefix, length, piecesRoot, layer));
                }
                else
                {
                    Walk(node, prefix.Length == 0 ? key : prefix + "/" + key);
                }
            }
        }
    }

    /// <summary>Writes every file of the layout under a new temporary directory, with the fixture content.</summary>
    public static TempDirectory WriteFiles(TorrentLayout layout)
    {
        var directory = new TempDirectory();
        foreach (var file in layout.Files.Where(f => !f.IsPadding))
        {
            var path = Path.Combine(directory.Path, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Content(file.Length));
        }

        return directory;
    }

    /// <summary>The concatenation of every file's content, as verified from memory.</summary>
    public static byte[] Concatenated(TorrentLayout layout) => [.. layout.Files.SelectMany(f => f.IsPadding ? new byte[f.Length] : Content(f.Length))];

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    private static object Bdecode(byte[] data)
    {
        var position = 0;
        var value = Read();
        if (position != data.Length)
        {
            throw new InvalidDataException("Trailing bytes after the bencoded value.");
        }

        return value;

        object Read()
        {
            switch (data[position])
            {
                case (byte)'i':
                    var end = Array.IndexOf(data, (byte)'e', position);
                    var number = long.Parse(Encoding.ASCII.GetString(data, position + 1, end - position - 1));
                    position = end + 1;
                    return number;
                case (byte)'l':
                    position++;
                    var list = new List<object>();
                    while (data[position] != (byte)'e')
                    {
                        list.Add(Read());
                    }

                    position++;
                    return list;
                case (byte)'d':
                    position++;
                    var dict = new Dictionary<string, object>();
                    while (data[position] != (byte)'e')
                    {
                        // Keys as latin-1 so binary keys (piece layers are keyed by 32-byte roots) survive.
                        var key = Latin1((byte[])Read());
                        dict[key] = Read();
                    }

                    position++;
                    return dict;
                default:
                    var colon = Array.IndexOf(data, (byte)':', position);
                    var length = int.Parse(Encoding.ASCII.GetString(data, position, colon - position));
                    var bytes = data.AsSpan(colon + 1, length).ToArray();
                    position = colon + 1 + length;
                    return bytes;
            }
        }
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wt-verifier-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
