using System.Diagnostics.Metrics;

namespace WebTorrent.WebRtc;

/// <summary>The WebRTC instruments of the client on its <c>WebTorrent</c> meter.</summary>
internal sealed class WebRtcMetrics
{
    public WebRtcMetrics(Meter meter, Func<int> liveConnections, Func<int> halfOpen)
    {
        OffersCreated = meter.CreateCounter<long>("webtorrent.webrtc.offers", "{offer}", "WebRTC offers created for WebSocket tracker announces.");
        AnswersCreated = meter.CreateCounter<long>("webtorrent.webrtc.answers", "{answer}", "Offers relayed by WebSocket trackers that we answered.");
        Connected = meter.CreateCounter<long>("webtorrent.webrtc.connected", "{peer}", "WebRTC peers whose data channel opened and handshake finished.");
        Refused = meter.CreateCounter<long>("webtorrent.webrtc.refused", "{peer}",
            "Offers and answers refused before a connection existed (reason: limit, malformed_sdp, unknown_offer).");
        meter.CreateObservableGauge("webtorrent.webrtc.connections", liveConnections, "{connection}", "Live WebRTC peer connections, half-open or connected.");
        meter.CreateObservableGauge("webtorrent.webrtc.half_open", halfOpen, "{connection}", "WebRTC peer connections not yet connected.");
    }

    public Counter<long> OffersCreated { get; }

    public Counter<long> AnswersCreated { get; }

    public Counter<long> Connected { get; }

    public Counter<long> Refused { get; }
}
