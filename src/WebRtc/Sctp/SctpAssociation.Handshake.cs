using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using WebRtc.Sctp.Chunks;
using WebRtc.Sctp.Congestion;

namespace WebRtc.Sctp;

public sealed partial class SctpAssociation
{
    private static readonly byte[] SupportedExtensions = [(byte)ChunkType.ReConfig, (byte)ChunkType.ForwardTsn];

    private InitChunk BuildInit(bool ack, byte[]? cookie) => new()
    {
        IsAck = ack,
        InitiateTag = _localTag,
        AdvertisedReceiverWindow = (uint)_options.ReceiveWindow,
        OutboundStreams = _options.Streams,
        InboundStreams = _options.Streams,
        InitialTsn = _initialTsn,
        StateCookie = cookie,
        SupportedExtensions = SupportedExtensions,
        ForwardTsnSupported = true,
        ZeroChecksumMethod = _options.ZeroChecksum ? ZeroChecksumMethodDtls : null,
    };

    /// <summary>RFC 9653 error detection method 1: the lower layer is DTLS.</summary>
    private const uint ZeroChecksumMethodDtls = 1;

    private void SendInit()
    {
        var init = BuildInit(false, null);
        var written = init.Write(Reserve(init.SerializedLength, 0));
        _packetLength += written;
        _packetNeedsChecksum = true;
        FlushPacket();
        _t1Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
    }

    private void OnInit(InitChunk init)
    {
        if (init.InitiateTag == 0 || init.OutboundStreams == 0 || init.InboundStreams == 0)
        {
            // RFC 9260 5.1: invalid mandatory parameters: abort with the peer's tag.
            SendAbort(init.InitiateTag, "invalid INIT");
            return;
        }
        if (_state is SctpAssociationState.ShutdownAckSent) return;
        // Whatever our state (including a collision with our own INIT), answer with our tag and a cookie
        // holding the peer's parameters: the association is set up when the cookie comes back.
        var cookie = CreateCookie(init);
        var ack = BuildInit(true, cookie);
        var written = ack.Write(Reserve(ack.SerializedLength, init.InitiateTag));
        _packetLength += written;
        _packetNeedsChecksum = true;
        FlushPacket();
    }

    private void OnInitAck(InitChunk ack)
    {
        if (_state != SctpAssociationState.CookieWait) return;
        if (ack.InitiateTag == 0 || ack.OutboundStreams == 0 || ack.InboundStreams == 0 || ack.StateCookie is null)
        {
            AbortLocked("invalid INIT-ACK");
            return;
        }
        _peerTag = ack.InitiateTag;
        ApplyPeerParameters(ack.InitialTsn, ack.AdvertisedReceiverWindow, ack.OutboundStreams, ack.InboundStreams,
            ack.PartialReliabilitySupported, ack.ReconfigSupported, ack.ZeroChecksumMethod == ZeroChecksumMethodDtls);
        _cookieToEcho = ack.StateCookie;
        _state = SctpAssociationState.CookieEchoed;
        _initRetransmits = 0;
        SendCookieEcho();
    }

    private void SendCookieEcho()
    {
        var cookie = _cookieToEcho!;
        var written = CookieEchoChunk.Write(Reserve(CookieEchoChunk.SerializedLength(cookie.Length)), cookie);
        _packetLength += written;
        _packetNeedsChecksum = true;
        FlushPacket();
        _t1Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
    }

    private void OnCookieEcho(ReadOnlySpan<byte> cookie)
    {
        if (!TryReadCookie(cookie, out var peerTag, out var initialTsn, out var rwnd, out var os, out var mis, out var forwardTsn, out var reconfig, out var zeroChecksum))
        {
            _stats.PacketsDropped++;
            return;
        }
        switch (_state)
        {
            case SctpAssociationState.Closed when !_started:
            case SctpAssociationState.CookieWait:
            case SctpAssociationState.CookieEchoed:
                _peerTag = peerTag;
                ApplyPeerParameters(initialTsn, rwnd, os, mis, forwardTsn, reconfig, zeroChecksum);
                SctpPacket.WriteChunkHeader(Reserve(4), ChunkType.CookieAck, 0, 0);
                _packetLength += 4;
                FlushPacket(); // with its CRC32c: the peer may not know yet that zero checksums were agreed
                EnterEstablished();
                break;
            case SctpAssociationState.Established when peerTag == _peerTag:
                // Our COOKIE-ACK was lost: send it again (RFC 9260 5.2.4 case D).
                SctpPacket.WriteChunkHeader(Reserve(4), ChunkType.CookieAck, 0, 0);
                _packetLength += 4;
                break;
        }
    }

    private void OnCookieAck()
    {
        if (_state == SctpAssociationState.CookieEchoed) EnterEstablished();
    }

    private void ApplyPeerParameters(uint peerInitialTsn, uint peerRwnd, ushort peerOutbound, ushort peerInbound, bool forwardTsn, bool reconfig, bool zeroChecksum)
    {
        if (_peerParametersSet && _state == SctpAssociationState.Established) return;
        _peerParametersSet = true;
        _peerAcceptsZeroChecksum = zeroChecksum && _options.ZeroChecksum;
        _peerCumTsn = peerInitialTsn - 1;
        _highestReceivedTsn = _peerCumTsn;
        _received.ClearAll();
        _peerNextReconfigRequestSeq = peerInitialTsn;
        _outboundStreamCount = Math.Min(_options.Streams, peerInbound);
        _inboundStreamCount = Math.Min(_options.Streams, peerOutbound);
        _peerSupportsForwardTsn = forwardTsn;
        _peerSupportsReconfig = reconfig;
        _peerRwnd = peerRwnd;
        _congestion = new RenoCongestionController(_mtu, peerRwnd);
    }

    private void EnterEstablished()
    {
        _state = SctpAssociationState.Established;
        _sendZeroChecksum = _peerAcceptsZeroChecksum; // both offered method 1 (RFC 9653 section 5.2)
        _t1Timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _cookieToEcho = null;
        _lastAdvertisedRwnd = _options.ReceiveWindow;
        if (_options.HeartbeatInterval != Timeout.InfiniteTimeSpan)
            _heartbeatTimer.Change(_options.HeartbeatInterval, _options.HeartbeatInterval);
        _connected.TrySetResult();
    }

    private void OnT1Expired()
    {
        lock (_gate)
        {
            if (_state is not (SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed)) return;
            if (++_initRetransmits > _options.MaxInitRetransmits)
            {
                FailLocked(new SctpException($"The peer did not answer {(_state == SctpAssociationState.CookieWait ? "INIT" : "COOKIE-ECHO")} after {_options.MaxInitRetransmits} retransmissions."));
            }
            else
            {
                _rto.Backoff();
                if (_state == SctpAssociationState.CookieWait) SendInit();
                else SendCookieEcho();
            }
        }
        RunNotifications();
    }

    // Cookie: peer tag, peer initial TSN, peer a_rwnd, peer OS, peer MIS, flags, our tag, timestamp, then an HMAC-SHA256.
    private byte[] CreateCookie(InitChunk init)
    {
        var cookie = new byte[CookieLength];
        var c = cookie.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(c, init.InitiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(c[4..], init.InitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(c[8..], init.AdvertisedReceiverWindow);
        BinaryPrimitives.WriteUInt16BigEndian(c[12..], init.OutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(c[14..], init.InboundStreams);
        c[16] = (byte)((init.PartialReliabilitySupported ? 1 : 0) | (init.ReconfigSupported ? 2 : 0) | (init.ZeroChecksumMethod == ZeroChecksumMethodDtls ? 4 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(c[20..], _localTag);
        BinaryPrimitives.WriteInt64BigEndian(c[24..], _time.GetUtcNow().ToUnixTimeMilliseconds());
        HMACSHA256.HashData(_cookieKey, c[..32], c[32..]);
        return cookie;
    }

    private bool TryReadCookie(ReadOnlySpan<byte> cookie, out uint peerTag, out uint initialTsn, out uint rwnd, out ushort os, out ushort mis, out bool forwardTsn, out bool reconfig, out bool zeroChecksum)
    {
        peerTag = initialTsn = rwnd = 0;
        os = mis = 0;
        forwardTsn = reconfig = zeroChecksum = false;
        if (cookie.Length != CookieLength) return false;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieKey, cookie[..32], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, cookie[32..])) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(cookie[20..]) != _localTag) return false;
        var age = _time.GetUtcNow().ToUnixTimeMilliseconds() - BinaryPrimitives.ReadInt64BigEndian(cookie[24..]);
        if (age > _options.CookieLifetime.TotalMilliseconds) return false; // stale cookie: the peer will retry INIT
        peerTag = BinaryPrimitives.ReadUInt32BigEndian(cookie);
        initialTsn = BinaryPrimitives.ReadUInt32BigEndian(cookie[4..]);
        rwnd = BinaryPrimitives.ReadUInt32BigEndian(cookie[8..]);
        os = BinaryPrimitives.ReadUInt16BigEndian(cookie[12..]);
        mis = BinaryPrimitives.ReadUInt16BigEndian(cookie[14..]);
        forwardTsn = (cookie[16] & 1) != 0;
        reconfig = (cookie[16] & 2) != 0;
        zeroChecksum = (cookie[16] & 4) != 0;
        return true;
    }

    // ---------------------------------------------------------------- abort and failure

    private void SendAbort(uint tag, string reason)
    {
        var info = Encoding.UTF8.GetBytes(reason);
        if (info.Length > 200) info = info[..200];
        var written = AbortChunk.Write(Reserve(AbortChunk.SerializedLength(info.Length), tag), ChunkType.Abort, 0, AbortChunk.UserInitiatedAbortCause, info);
        _packetLength += written;
        FlushPacket();
    }

    private void AbortLocked(string reason)
    {
        if (_state == SctpAssociationState.Closed && !_started) return;
        if (_state != SctpAssociationState.Closed && _peerTag != 0) SendAbort(_peerTag, reason);
        FailLocked(new SctpException("The association was aborted locally: " + reason));
    }

    private void OnAbort(ReadOnlySpan<byte> value)
    {
        FailLocked(new SctpException("The peer aborted the association (" + AbortChunk.Describe(value) + ")."));
    }

    /// <summary>Ends the association: stops timers, drops queued data, wakes every waiter. Null error: graceful.</summary>
    private void FailLocked(Exception? error)
    {
        if (_state == SctpAssociationState.Closed && (_error is not null || _closed.Task.IsCompleted)) return;
        _state = SctpAssociationState.Closed;
        _error = error;
        foreach (var timer in (ReadOnlySpan<ITimer>)[_t1Timer, _t2Timer, _t3Timer, _delayedAckTimer, _heartbeatTimer, _reconfigTimer])
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        FlushPacket();
        while (_pending.Count > 0) ReturnChunk(_pending.Dequeue());
        while (_inflight.Count > 0) ReturnChunk(_inflight.RemoveFirst());
        foreach (var stream in _inStreams.Values)
        {
            stream.Ordered.Clear(static f => System.Buffers.ArrayPool<byte>.Shared.Return(f.Buffer));
            foreach (var f in stream.Unordered) System.Buffers.ArrayPool<byte>.Shared.Return(f.Buffer);
            stream.Unordered.Clear();
        }
        _flightSize = 0;
        _totalBuffered = 0;
        foreach (var s in _outStreams.Values) s.Buffered = 0;
        WakeSenders();
        var failure = error ?? new SctpException("The association closed.");
        if (!_connected.TrySetException(failure)) { }
        if (error is null) _closed.TrySetResult();
        else _closed.TrySetException(error);
        Notify(NotificationKind.Closed, error: error);
    }

    private void WakeSenders()
    {
        if (_sendWaiters is not { Count: > 0 } waiters) return;
        foreach (var w in waiters) w.TrySetResult();
        waiters.Clear();
    }
}
