using WebTorrent.Metainfo;
using WebTorrent.Protocol;
using WebTorrent.Verifier;
using VerifierFile = WebTorrent.Verifier.TorrentFileEntry;

namespace WebTorrent.Engine;

/// <summary>Adapts a parsed torrent to the verifier's and the wire's views of its pieces.</summary>
internal static class Layouts
{
    /// <summary>SHA-1 pieces for v1 and hybrid torrents, merkle pieces for v2-only ones.</summary>
    public static TorrentLayout ForVerifier(TorrentMetainfo torrent)
    {
        if (torrent.Version == TorrentVersion.V2)
        {
            return new MerkleTorrentLayout(torrent.PieceLength,
                [.. torrent.Files.Select(f => new MerkleFileEntry(f.Path, f.Length, f.PiecesRoot, f.PieceLayer))]);
        }
        return new Sha1TorrentLayout(torrent.PieceLength, torrent.PieceHashes,
            [.. torrent.Files.Select(f => new VerifierFile(f.Path, f.Length, f.IsPadding))]);
    }

    /// <summary>The wire's uniform layout; null for v2-only torrents, whose pieces end with each file.</summary>
    public static PieceLayout? ForWire(TorrentMetainfo torrent) =>
        torrent.Version == TorrentVersion.V2 || torrent.TotalLength == 0 ? null : new PieceLayout(torrent.TotalLength, torrent.PieceLength);

    /// <summary>The 20-byte hash used in handshakes, trackers and ut_metadata: v1, or the v2 hash truncated (BEP 52).</summary>
    public static byte[] WireInfoHash(MagnetUri.InfoHash hash) => hash.ToArray()[..20];
}
