using System.Diagnostics.Metrics;

namespace WebTorrent.Verifier;

/// <summary>The package's meter ("WebTorrent.Verifier"): pieces passed and failed, and bytes checked, by full verifications and rechecks.</summary>
internal static class VerifierMetrics
{
    public const string MeterName = "WebTorrent.Verifier";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> PiecesValid = Meter.CreateCounter<long>("webtorrent.verifier.pieces_valid", "{piece}", "Pieces that matched their hash.");

    public static readonly Counter<long> PiecesInvalid = Meter.CreateCounter<long>("webtorrent.verifier.pieces_invalid", "{piece}", "Pieces that did not match or could not be read.");

    public static readonly Counter<long> BytesChecked = Meter.CreateCounter<long>("webtorrent.verifier.bytes", "By", "Bytes of pieces checked.");
}
