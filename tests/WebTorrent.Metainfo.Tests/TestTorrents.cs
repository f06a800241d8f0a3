using System.Security.Cryptography;
using Bencode;

namespace WebTorrent.Metainfo.Tests;

/// <summary>Builds torrents by hand (including hostile ones) and deterministic content.</summary>
internal static class TestTorrents
{
    public static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static BencodeDictionary MultiFileInfo(string name, params (string[] Path, long Length)[] files)
    {
        var total = files.Sum(f => f.Length);
        var pieces = (int)((total + 16383) / 16384);
        return new BencodeDictionary
        {
            ["name"] = name,
            ["piece length"] = 16384,
            ["pieces"] = new byte[pieces * 20],
            ["files"] = new BencodeList(files.Select(f => (BencodeValue)new BencodeDictionary
            {
                ["length"] = f.Length,
                ["path"] = new BencodeList(f.Path.Select(s => (BencodeValue)s)),
            })),
        };
    }

    public static byte[] Torrent(BencodeDictionary info, Action<BencodeDictionary>? extra = null)
    {
        var root = new BencodeDictionary { ["info"] = info };
        extra?.Invoke(root);
        return root.ToArray();
    }

#pragma warning disable CA5350
    public static byte[] Sha1(ReadOnlySpan<byte> data) => SHA1.HashData(data);
#pragma warning restore CA5350

    /// <summary>A naive BEP 52 merkle root: hash every 16 KiB block, pad with zero leaves to a power of two, fold.</summary>
    public static byte[] NaiveRoot(ReadOnlySpan<byte> file, int minLeaves = 1)
    {
        var leaves = new List<byte[]>();
        for (var i = 0; i < file.Length; i += 16384) leaves.Add(SHA256.HashData(file.Slice(i, Math.Min(16384, file.Length - i))));
        var width = 1;
        while (width < Math.Max(leaves.Count, minLeaves)) width *= 2;
        while (leaves.Count < width) leaves.Add(new byte[32]);
        while (leaves.Count > 1)
        {
            var next = new List<byte[]>();
            for (var i = 0; i < leaves.Count; i += 2) next.Add(SHA256.HashData([.. leaves[i], .. leaves[i + 1]]));
            leaves = next;
        }
        return leaves[0];
    }
}
