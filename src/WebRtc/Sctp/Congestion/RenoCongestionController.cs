namespace WebRtc.Sctp.Congestion;

/// <summary>
/// The congestion control of RFC 9260 section 7.2: slow start, congestion avoidance with
/// partial_bytes_acked, fast recovery and the collapse to one MTU on a retransmission timeout.
/// </summary>
internal sealed class RenoCongestionController
{
    private readonly int _mtu;
    private long _partialBytesAcked;

    public RenoCongestionController(int mtu, long peerReceiverWindow)
    {
        _mtu = mtu;
        // RFC 9260 7.2.1: initial cwnd = min(4*MTU, max(2*MTU, 4380)).
        Cwnd = Math.Min(4L * mtu, Math.Max(2L * mtu, 4380));
        Ssthresh = Math.Max(peerReceiverWindow, 4L * mtu);
    }

    /// <summary>Congestion window, bytes.</summary>
    public long Cwnd { get; private set; }

    /// <summary>Slow start threshold, bytes.</summary>
    public long Ssthresh { get; private set; }

    /// <summary>True while in fast recovery.</summary>
    public bool InFastRecovery { get; private set; }

    /// <summary>The highest TSN outstanding when fast recovery began: it ends once that is acknowledged.</summary>
    public uint FastRecoveryExitPoint { get; private set; }

    /// <summary>A SACK advanced the cumulative ack: grow the window (RFC 9260 7.2.1 and 7.2.2).</summary>
    /// <param name="bytesAcked">Bytes newly acknowledged by this SACK.</param>
    /// <param name="windowWasFull">The flight size before the SACK was (nearly) the whole cwnd.</param>
    public void OnCumulativeAckAdvanced(long bytesAcked, bool windowWasFull)
    {
        if (InFastRecovery || bytesAcked <= 0) return;
        if (Cwnd <= Ssthresh)
        {
            if (windowWasFull) Cwnd += Math.Min(bytesAcked, _mtu);
            return;
        }
        _partialBytesAcked += bytesAcked;
        if (_partialBytesAcked >= Cwnd && windowWasFull)
        {
            _partialBytesAcked -= Cwnd;
            Cwnd += _mtu;
        }
    }

    /// <summary>Everything outstanding was acknowledged: partial_bytes_acked resets (RFC 9260 7.2.2).</summary>
    public void OnAllAcknowledged() => _partialBytesAcked = 0;

    /// <summary>Leaves fast recovery once <paramref name="cumulativeTsnAck"/> reaches the exit point.</summary>
    public void OnCumulativeTsn(uint cumulativeTsnAck)
    {
        if (InFastRecovery && !Tsn.Less(cumulativeTsnAck, FastRecoveryExitPoint)) InFastRecovery = false;
    }

    /// <summary>Loss detected by three miss indications (RFC 9260 7.2.4). Returns false if already recovering.</summary>
    public bool OnFastRetransmit(uint highestOutstandingTsn)
    {
        if (InFastRecovery) return false;
        InFastRecovery = true;
        FastRecoveryExitPoint = highestOutstandingTsn;
        Ssthresh = Math.Max(Cwnd / 2, 4L * _mtu);
        Cwnd = Ssthresh;
        _partialBytesAcked = 0;
        return true;
    }

    /// <summary>The retransmission timer expired (RFC 9260 7.2.3).</summary>
    public void OnRetransmissionTimeout()
    {
        Ssthresh = Math.Max(Cwnd / 2, 4L * _mtu);
        Cwnd = _mtu;
        _partialBytesAcked = 0;
        InFastRecovery = false;
    }

    /// <summary>The association was idle for an RTO: restart from the initial window (RFC 9260 7.2.1).</summary>
    public void OnIdle() => Cwnd = Math.Max(Math.Min(Cwnd, 4L * _mtu), _mtu);
}

/// <summary>Serial number arithmetic on 32-bit TSNs (RFC 1982).</summary>
internal static class Tsn
{
    public static bool Less(uint a, uint b) => (int)(a - b) < 0;

    public static bool LessOrEqual(uint a, uint b) => (int)(a - b) <= 0;

    public static bool Greater(uint a, uint b) => (int)(a - b) > 0;

    public static bool GreaterOrEqual(uint a, uint b) => (int)(a - b) >= 0;
}
