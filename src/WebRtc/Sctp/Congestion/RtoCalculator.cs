namespace WebRtc.Sctp.Congestion;

/// <summary>Retransmission timeout from RTT measurements (RFC 9260 section 6.3.1), with exponential backoff.</summary>
internal sealed class RtoCalculator(TimeSpan initial, TimeSpan min, TimeSpan max)
{
    private const double Alpha = 1.0 / 8, Beta = 1.0 / 4;
    private double _srtt, _rttvar;
    private bool _measured;
    private double _rto = initial.TotalMilliseconds;

    /// <summary>Current retransmission timeout.</summary>
    public TimeSpan Rto => TimeSpan.FromMilliseconds(_rto);

    /// <summary>Smoothed round-trip time, or null before the first measurement.</summary>
    public TimeSpan? SmoothedRtt => _measured ? TimeSpan.FromMilliseconds(_srtt) : null;

    /// <summary>Feeds one round-trip measurement.</summary>
    public void OnMeasurement(TimeSpan rtt)
    {
        var r = Math.Max(rtt.TotalMilliseconds, 0);
        if (!_measured)
        {
            _srtt = r;
            _rttvar = r / 2;
            _measured = true;
        }
        else
        {
            _rttvar = ((1 - Beta) * _rttvar) + (Beta * Math.Abs(_srtt - r));
            _srtt = ((1 - Alpha) * _srtt) + (Alpha * r);
        }
        _rto = Math.Clamp(_srtt + (4 * _rttvar), min.TotalMilliseconds, max.TotalMilliseconds);
    }

    /// <summary>Doubles the timeout after an expiry (RFC 9260 6.3.3 E2), up to the maximum.</summary>
    public void Backoff() => _rto = Math.Min(_rto * 2, max.TotalMilliseconds);
}
