using BenchmarkDotNet.Attributes;
using SdpCompress;
using WebRtc.Sdp;

namespace WebTorrent.Benchmarks.WebRtc;

/// <summary>SDP parse/write and SdpCompress rates over the real Chromium 156 offer.</summary>
[MemoryDiagnoser]
public class SdpBenchmarks
{
    // The Chromium 156 offer from shared/data (also a test fixture), inlined so the benchmark needs no files.
    private const string ChromiumOffer =
        "v=0\r\no=- 1387704856984905413 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n" +
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
        "a=candidate:919816866 1 udp 2113937151 6eb9137b-f98d-4eb1-b13c-74f0326f91db.local 46837 typ host generation 0 network-cost 999\r\n" +
        "a=ice-ufrag:8YQm\r\na=ice-pwd:IRkb5WSPs2EU5M8cU1QyESc7\r\na=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 D0:59:BF:60:CE:CD:F4:6A:36:B4:2F:A3:97:D5:C3:37:56:56:F5:4D:D6:07:BC:0A:6C:B6:2D:2F:EA:1A:0C:37\r\n" +
        "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

    private readonly SessionDescription _parsed = SessionDescription.Parse(ChromiumOffer, SdpType.Offer);
    private byte[] _compressed = [];

    [GlobalSetup]
    public void Setup() => _compressed = SdpCompressor.Compress(_parsed);

    [Benchmark(Description = "SDP parse (Chromium offer, 586 B)")]
    public SessionDescription Parse() => SessionDescription.Parse(ChromiumOffer, SdpType.Offer);

    [Benchmark(Description = "SDP write")]
    public string Write() => _parsed.ToString();

    [Benchmark(Description = "SdpCompress compress")]
    public byte[] Compress() => SdpCompressor.Compress(_parsed);

    [Benchmark(Description = "SdpCompress expand")]
    public SessionDescription Expand() => SdpCompressor.Expand(_compressed);

    [Benchmark(Baseline = true, Description = "reference: split the SDP into lines (string.Split)")]
    public int SplitLines() => ChromiumOffer.Split("\r\n").Length;
}
