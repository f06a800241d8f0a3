using System.Text;

namespace WebTorrent.Benchmarks.MagnetUri;

/// <summary>
/// The benchmark's magnet links: read from MAGNET_BENCH_LINKS (written by benchmarks/magnet-bench.mjs, so node and
/// .NET parse the very same file), or generated here with the same PRNG and draws as that script.
/// </summary>
internal static class MagnetLinkCorpus
{
    public const string EnvironmentVariable = "MAGNET_BENCH_LINKS";

    private static readonly string[] Words =
    [
        "Big", "Buck", "Bunny", "Sintel", "Tears", "of", "Steel", "Leaves", "Grass", "1080p", "x264", "Ubuntu",
        "24.04", "desktop", "amd64", "%C3%A9t%C3%A9", "Cosmos", "Laundromat", "%E6%97%A5%E6%9C%AC", "Elephants", "Dream",
    ];

    private static readonly string[] Extensions = [".mkv", ".mp4", ".iso", ".epub", ".zip"];

    private static readonly string[] Trackers =
    [
        "udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce",
        "udp%3A%2F%2Fexplodie.org%3A6969",
        "udp%3A%2F%2Ftracker.torrent.eu.org%3A451%2Fannounce",
        "wss%3A%2F%2Ftracker.btorrent.xyz",
        "wss%3A%2F%2Ftracker.openwebtorrent.com",
        "wss%3A%2F%2Ftracker.webtorrent.dev",
        "http%3A%2F%2Ftracker.example.org%3A8080%2Fannounce",
        "udp%3A%2F%2Fopen.stealth.si%3A80%2Fannounce",
    ];

    public static string[] Load(int count)
    {
        var path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(path) && File.Exists(path))
        {
            var lines = File.ReadAllLines(path).Where(l => l.Length > 0).Take(count).ToArray();
            Console.WriteLine($"// magnet corpus: {lines.Length} links from {path}");
            return lines;
        }

        Console.WriteLine($"// magnet corpus: {count} links generated (set {EnvironmentVariable} to share node's file)");
        return Generate(count);
    }

    public static string[] Generate(int count)
    {
        var random = new Mulberry32(20261124);
        var links = new string[count];
        var bytes = new byte[20];
        var builder = new StringBuilder(400);
        for (var i = 0; i < count; i++)
        {
            for (var b = 0; b < bytes.Length; b++) bytes[b] = (byte)random.Next(256);
            builder.Clear().Append("magnet:?xt=urn:btih:");
            if (random.NextDouble() < 0.7) builder.Append(Convert.ToHexStringLower(bytes));
            else builder.Append(Base32(bytes));
            builder.Append("&dn=");
            var words = 1 + random.Next(5);
            for (var w = 0; w < words; w++)
            {
                if (w > 0) builder.Append('+');
                builder.Append(Words[random.Next(Words.Length)]);
            }

            builder.Append(Extensions[random.Next(Extensions.Length)]);
            var trackers = 2 + random.Next(4);
            for (var t = 0; t < trackers; t++) builder.Append("&tr=").Append(Trackers[random.Next(Trackers.Length)]);
            if (random.NextDouble() < 0.3) builder.Append("&ws=https%3A%2F%2Fcdn.example.com%2Ffiles%2F").Append(i);
            links[i] = builder.ToString();
        }

        return links;
    }

    private static string Base32(byte[] bytes)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var builder = new StringBuilder(32);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = ((buffer << 8) | b) & 0xffff;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                builder.Append(Alphabet[(buffer >> bits) & 31]);
            }
        }

        return builder.ToString();
    }

    /// <summary>The mulberry32 generator, bit for bit as the node script computes it.</summary>
    private sealed class Mulberry32(uint seed)
    {
        private uint _state = seed;

        public double NextDouble()
        {
            unchecked
            {
                _state += 0x6D2B79F5;
                var t = _state;
                t = (t ^ (t >> 15)) * (t | 1);
                t ^= t + ((t ^ (t >> 7)) * (t | 61));
                return (t ^ (t >> 14)) / 4294967296.0;
            }
        }

        public int Next(int n) => (int)Math.Floor(NextDouble() * n);
    }
}
