using Bencode;
using MagnetUri;
using WebTorrent.Metainfo;
using WebTorrent.Verifier;
using VerifierFile = WebTorrent.Verifier.TorrentFileEntry;

namespace GettingStarted;

/// <summary>Step 5 of the page: the small packages alone, without a client.</summary>
internal static class ComposeStep
{
    /// <summary>Creates a torrent of <paramref name="folder"/>, reads it back three ways and rechecks the data on disk.</summary>
    public static async Task<PieceBitfield> RunAsync(string folder, CancellationToken cancellationToken)
    {
        #region compose
        // WebTorrent.Metainfo: create a .torrent (v1 + v2) and parse one.
        var created = await TorrentCreator.CreateFromPathAsync(folder, new TorrentCreationOptions { Version = TorrentVersion.Hybrid },
            cancellationToken);
        var torrent = TorrentMetainfo.Parse(created.TorrentBytes);
        Console.WriteLine($"{torrent.Name}: v1 {torrent.InfoHashV1}, v2 {torrent.InfoHashV2}, {torrent.PieceCount} pieces");

        // MagnetUri: magnet links, parsed and built.
        var link = MagnetLink.Parse(torrent.ToMagnetLink().ToString());
        Console.WriteLine($"{link.DisplayName}: {link.InfoHashV1}");

        // Bencode: any bencoded data, here the torrent's own dictionary.
        var dictionary = BencodeSerializer.DecodeDictionary(created.TorrentBytes.ToArray());
        Console.WriteLine($"piece length {dictionary.Get<BencodeDictionary>("info")!.GetInt64("piece length")}");

        // WebTorrent.Verifier: which pieces of the data on disk match the torrent's hashes, on every core.
        var layout = new Sha1TorrentLayout(torrent.PieceLength, torrent.PieceHashes,
            [.. torrent.Files.Select(f => new VerifierFile(f.Path, f.Length, f.IsPadding))]);
        var have = await new PieceVerifier().RecheckAllAsync(layout, Path.GetDirectoryName(folder)!, cancellationToken);
        Console.WriteLine($"{have.Count} of {have.Length} pieces on disk are good");
        #endregion
        return have;
    }
}
