namespace WebTorrent.Verifier;

/// <summary>One piece checked: whether its data matched the expected hash.</summary>
/// <param name="PieceIndex">The piece.</param>
/// <param name="IsValid">True when the data matched; false when it did not, or could not be read (missing or short file).</param>
public readonly record struct PieceVerified(int PieceIndex, bool IsValid);
