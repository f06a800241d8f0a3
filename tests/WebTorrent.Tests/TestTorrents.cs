using System.Text;
using WebTorrent.Metainfo;

namespace WebTorrent.Tests;

/// <summary>Builds small torrents (info dictionaries) by hand: files of given lengths, optional BEP 47 padding files.</summary>
internal static class TestTorrents
{
    public sealed record FileSpec(string Path, long Length, bool Padding = false);

    public static TorrentMetainfo MultiFile(string name, int pieceLength, params FileSpec[] files)
    {
        var total = files.Sum(f => f.Length);
        var pieceCount = (int)((total + pieceLength - 1) / pieceLength);
        using var info = new MemoryStream();
        Write(info, "d5:filesl");
        foreach (var file in files)
        {
            Write(info, "d");
            if (file.Padding) Write(info, "4:attr1:p");
            Write(info, $"6:lengthi{file.Length}e4:pathl");
            foreach (var segment in file.Path.Split('/')) WriteString(info, segment);
            Write(info, "ee");
        }
        Write(info, "e4:name");
        WriteString(info, name);
        Write(info, $"12:piece lengthi{pieceLength}e6:pieces{pieceCount * 20}:");
        info.Write(new byte[pieceCount * 20]);
        Write(info, "e");
        return TorrentMetainfo.ParseInfo(info.ToArray(), new TorrentParseOptions { UnsafePaths = UnsafePathPolicy.Clean });
    }

    private static void Write(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));

    private static void WriteString(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Write(stream, $"{bytes.Length}:");
        stream.Write(bytes);
    }
}
