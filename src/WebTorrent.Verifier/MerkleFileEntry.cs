namespace WebTorrent.Verifier;

/// <summary>One file of a v2 torrent (BEP 52) with the hashes that verify it.</summary>
/// <param name="Path">Path relative to the torrent's directory ('/' between components). Must not be rooted or contain "..".</param>
/// <param name="Length">Length in bytes; zero for an empty file (which has no pieces and no hashes).</param>
/// <param name="PiecesRoot">The file tree's "pieces root": the 32-byte SHA-256 merkle root of the file's 16 KiB blocks. Empty for an empty file.</param>
/// <param name="PieceLayer">
/// The file's entry in "piece layers": one 32-byte hash per piece, concatenated. Required when the file is longer than
/// one piece; ignored otherwise (a file of at most one piece is verified against <paramref name="PiecesRoot"/>).
/// </param>
public sealed record MerkleFileEntry(string Path, long Length, ReadOnlyMemory<byte> PiecesRoot, ReadOnlyMemory<byte> PieceLayer);
