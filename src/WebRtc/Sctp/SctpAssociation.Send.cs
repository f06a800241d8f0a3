using System.Buffers;
using WebRtc.Sctp.Chunks;
using WebRtc.Sctp.Congestion;

namespace WebRtc.Sctp;

public sealed partial class SctpAssociation
{
    private void Enqueue(ushort streamId, uint payloadProtocol, ReadOnlySpan<byte> data, SctpSendOptions options)
    {
        var stream = GetOutboundStream(streamId);
        var messageId = _nextMessageId++;
        var partial = _peerSupportsForwardTsn;
        var maxRetransmits = partial && options.MaxRetransmits is { } max ? max : -1;
        var expiresAt = partial && options.Lifetime is { } lifetime
            ? Now + (long)(lifetime.TotalSeconds * _time.TimestampFrequency)
            : long.MaxValue;
        var offset = 0;
        while (offset < data.Length)
        {
            var length = Math.Min(_maxDataPayload, data.Length - offset);
            var chunk = _chunkPool.Count > 0 ? _chunkPool.Pop() : new OutboundChunk();
            chunk.StreamId = streamId;
            chunk.PayloadProtocol = payloadProtocol;
            chunk.MessageId = messageId;
            chunk.MaxRetransmits = maxRetransmits;
            chunk.ExpiresAt = expiresAt;
            var flags = options.Unordered ? DataChunkFlags.Unordered : DataChunkFlags.None;
            if (offset == 0) flags |= DataChunkFlags.Beginning;
            if (offset + length == data.Length) flags |= DataChunkFlags.End;
            chunk.Flags = flags;
            chunk.Buffer = RentChunkBuffer();
            data.Slice(offset, length).CopyTo(chunk.Buffer);
            chunk.Length = length;
            _pending.Enqueue(chunk);
            stream.PendingChunks++;
            stream.Buffered += length;
            _totalBuffered += length;
            offset += length;
        }
    }

    private void ReturnChunk(OutboundChunk chunk)
    {
        if (chunk.Buffer is { } buffer) ReturnChunkBuffer(buffer);
        chunk.Reset();
        if (_chunkPool.Count < 4096) _chunkPool.Push(chunk);
    }

    /// <summary>Its bytes stop counting as buffered (acknowledged or abandoned).</summary>
    private void ReleaseChunkBytes(OutboundChunk chunk)
    {
        if (chunk.Released) return;
        chunk.Released = true;
        _totalBuffered -= chunk.Length;
        if (_outStreams.TryGetValue(chunk.StreamId, out var stream))
        {
            stream.Buffered -= chunk.Length;
            if (!stream.NotifyPending)
            {
                stream.NotifyPending = true;
                Notify(NotificationKind.BufferedAmountDecreased, chunk.StreamId);
            }
        }
    }

    private bool CanSendData => _state is SctpAssociationState.Established or SctpAssociationState.ShutdownPending or SctpAssociationState.ShutdownReceived;

    /// <summary>Writes whatever may go now: control chunks, retransmissions, then new data within cwnd and rwnd.</summary>
    private void Transmit()
    {
        if (!CanSendData)
        {
            if (_state == SctpAssociationState.ShutdownSent && _sackImmediately) WriteSack();
            return;
        }
        foreach (var s in _outStreams.Values) s.NotifyPending = false;
        if (_sackImmediately) WriteSack();
        if (_forwardTsnPending) WriteForwardTsn();
        WriteReconfig();

        var now = Now;
        var cwnd = _congestion.Cwnd;
        if (_retransmitCount > 0)
        {
            for (var i = 0; i < _inflight.Count && _retransmitCount > 0; i++)
            {
                var chunk = _inflight[i];
                if (!chunk.NeedsRetransmit) continue;
                if (ShouldAbandon(chunk, now))
                {
                    AbandonMessage(chunk.MessageId);
                    continue;
                }
                // A fast retransmission may exceed cwnd by one packet (RFC 9260 7.2.4 step 3).
                if (!_fastRetransmitPending && _flightSize + chunk.Length > cwnd && _flightSize > 0) break;
                WriteDataChunk(chunk, now);
                chunk.NeedsRetransmit = false;
                _retransmitCount--;
                _stats.DataChunksRetransmitted++;
                if (_rttProbeActive && _rttProbeTsn == chunk.Tsn) _rttProbeActive = false; // Karn: no RTT from retransmissions
                if (_fastRetransmitPending && RoomInPacket < DataChunk.HeaderLength + 64) _fastRetransmitPending = false;
            }
            _fastRetransmitPending = false;
            if (_forwardTsnPending) WriteForwardTsn();
        }

        while (_pending.Count > 0 && _retransmitCount == 0)
        {
            var chunk = _pending.Peek();
            if (chunk.ExpiresAt != long.MaxValue && now > chunk.ExpiresAt && chunk.IsBeginning)
            {
                DropPendingMessage(chunk.MessageId);
                continue;
            }
            if (_flightSize >= cwnd) break;
            if (chunk.Length > _peerRwnd && _flightSize > 0) break; // zero window: one probe at a time
            _pending.Dequeue();
            var stream = GetOutboundStream(chunk.StreamId);
            stream.PendingChunks--;
            chunk.Tsn = _nextTsn++;
            if (!chunk.Unordered)
            {
                if (chunk.IsBeginning) stream.CurrentSsn = stream.NextSsn++;
                chunk.Ssn = stream.CurrentSsn;
            }
            _inflight.Add(chunk);
            if (!_rttProbeActive)
            {
                _rttProbeActive = true;
                _rttProbeTsn = chunk.Tsn;
                _rttProbeSentAt = now;
            }
            WriteDataChunk(chunk, now);
            _stats.DataChunksSent++;
        }

        if (_streamsAwaitingReset.Count > 0 && _outstandingReset is null) WriteReconfig();
        CheckShutdownProgress();
    }

    private void WriteDataChunk(OutboundChunk chunk, long now)
    {
        var length = DataChunk.SerializedLength(chunk.Length);
        var written = DataChunk.Write(Reserve(length), chunk.Tsn, chunk.StreamId, chunk.Ssn, chunk.PayloadProtocol, chunk.Flags, chunk.Buffer.AsSpan(0, chunk.Length));
        _packetLength += written;
        chunk.Transmissions++;
        chunk.SentAt = now;
        chunk.InFlight = true;
        chunk.MissIndications = 0;
        _flightSize += chunk.Length;
        _peerRwnd = Math.Max(0, _peerRwnd - chunk.Length);
        if (!_t3Running)
        {
            _t3Running = true;
            _t3Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
        }
    }

    private static bool ShouldAbandon(OutboundChunk chunk, long now) =>
        (chunk.MaxRetransmits >= 0 && chunk.Transmissions > chunk.MaxRetransmits) ||
        (chunk.ExpiresAt != long.MaxValue && now > chunk.ExpiresAt);

    /// <summary>Gives up a whole message (RFC 3758 3.5): its sent chunks are skipped by FORWARD-TSN, its unsent ones dropped.</summary>
    private void AbandonMessage(long messageId)
    {
        var any = false;
        for (var i = 0; i < _inflight.Count; i++)
        {
            var c = _inflight[i];
            if (c.MessageId != messageId || c.Abandoned) continue;
            any = true;
            c.Abandoned = true;
            if (c.InFlight)
            {
                c.InFlight = false;
                _flightSize -= c.Length;
            }
            if (c.NeedsRetransmit)
            {
                c.NeedsRetransmit = false;
                _retransmitCount--;
            }
            ReleaseChunkBytes(c);
        }
        // Fragments of the message not yet sent sit at the head of the queue.
        while (_pending.Count > 0 && _pending.Peek().MessageId == messageId)
        {
            var c = _pending.Dequeue();
            if (_outStreams.TryGetValue(c.StreamId, out var s)) s.PendingChunks--;
            ReleaseChunkBytes(c);
            ReturnChunk(c);
        }
        if (any) _stats.MessagesAbandoned++;
        AdvancePeerAckPoint();
        WakeSendersIfRoom();
    }

    private void DropPendingMessage(long messageId)
    {
        _stats.MessagesAbandoned++;
        while (_pending.Count > 0 && _pending.Peek().MessageId == messageId)
        {
            var c = _pending.Dequeue();
            if (_outStreams.TryGetValue(c.StreamId, out var s)) s.PendingChunks--;
            ReleaseChunkBytes(c);
            ReturnChunk(c);
        }
        WakeSendersIfRoom();
    }

    private void AdvancePeerAckPoint()
    {
        if (!_peerSupportsForwardTsn) return;
        if (Tsn.Less(_advancedPeerAckPoint, _cumAckTsn)) _advancedPeerAckPoint = _cumAckTsn;
        var index = (int)(_advancedPeerAckPoint - _cumAckTsn);
        while (index < _inflight.Count && _inflight[index].Abandoned)
        {
            _advancedPeerAckPoint++;
            index++;
        }
        if (Tsn.Greater(_advancedPeerAckPoint, _cumAckTsn)) _forwardTsnPending = true;
    }

    private void WriteForwardTsn()
    {
        _forwardTsnPending = false;
        if (!Tsn.Greater(_advancedPeerAckPoint, _cumAckTsn)) return;
        _forwardStreams.Clear();
        var count = (int)(_advancedPeerAckPoint - _cumAckTsn);
        for (var i = 0; i < count && i < _inflight.Count; i++)
        {
            var c = _inflight[i];
            if (c.Unordered) continue;
            var found = false;
            for (var k = 0; k < _forwardStreams.Count; k++)
            {
                if (_forwardStreams[k].StreamId != c.StreamId) continue;
                found = true;
                if ((short)(c.Ssn - _forwardStreams[k].StreamSequence) > 0) _forwardStreams[k] = new ForwardTsnStream(c.StreamId, c.Ssn);
                break;
            }
            if (!found) _forwardStreams.Add(new ForwardTsnStream(c.StreamId, c.Ssn));
        }
        var streams = Math.Min(_forwardStreams.Count, (_mtu - SctpPacket.HeaderLength - 8) / 4);
        var length = ForwardTsnChunk.SerializedLength(streams);
        var written = ForwardTsnChunk.Write(Reserve(length), _advancedPeerAckPoint, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_forwardStreams)[..streams]);
        _packetLength += written;
        if (!_t3Running)
        {
            // FORWARD-TSN is retransmitted with T3 until acknowledged.
            _t3Running = true;
            _t3Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
        }
    }

    // ---------------------------------------------------------------- SACK

    private void OnSack(SackChunk sack)
    {
        if (!CanSendData && _state != SctpAssociationState.ShutdownSent) return;
        var cumAck = sack.CumulativeTsnAck;
        if (Tsn.Less(cumAck, _cumAckTsn)) return; // out of date
        if (!Tsn.Less(cumAck, _nextTsn)) return;  // acknowledges what was never sent: ignore
        var now = Now;
        var flightBefore = _flightSize;
        long bytesAcked = 0;
        var cumAdvanced = Tsn.Greater(cumAck, _cumAckTsn);
        _newlyAckedLatestSend = long.MinValue;

        while (Tsn.Less(_cumAckTsn, cumAck))
        {
            var c = _inflight.RemoveFirst();
            _cumAckTsn++;
            bytesAcked += AckChunk(c, now);
            ReturnChunk(c);
        }

        var highestNewlyAcked = cumAck;
        var highestGapAcked = cumAck;
        for (var g = 0; g < sack.GapBlockCount; g++)
        {
            var block = sack.GetGapBlock(g);
            if (block.End < block.Start) continue;
            for (uint offset = block.Start; offset <= block.End; offset++)
            {
                var index = (int)offset - 1;
                if (index >= _inflight.Count) break;
                var c = _inflight[index];
                var tsn = cumAck + offset;
                if (Tsn.Greater(tsn, highestGapAcked)) highestGapAcked = tsn;
                if (c.Acked) continue;
                bytesAcked += AckChunk(c, now);
                c.Acked = true;
                if (Tsn.Greater(tsn, highestNewlyAcked)) highestNewlyAcked = tsn;
            }
        }

        // Miss indications (RFC 9260 7.2.4): chunks below the highest newly acknowledged TSN are missing.
        if (Tsn.Greater(highestNewlyAcked, cumAck))
        {
            var lossDetected = false;
            var limit = (int)(highestNewlyAcked - cumAck) - 1;
            for (var i = 0; i < limit && i < _inflight.Count; i++)
            {
                var c = _inflight[i];
                // HTNA (RFC 9260 7.2.4): only a chunk sent before something newly acknowledged can be missing;
                // a chunk is fast-retransmitted once, after that T3 recovers it.
                if (c.Acked || c.Abandoned || !c.InFlight || c.FastRetransmitted || c.SentAt > _newlyAckedLatestSend) continue;
                if (++c.MissIndications == 3)
                {
                    c.FastRetransmitted = true;
                    c.InFlight = false;
                    _flightSize -= c.Length;
                    c.NeedsRetransmit = true;
                    _retransmitCount++;
                    lossDetected = true;
                }
            }
            if (lossDetected)
            {
                _stats.FastRetransmits++;
                if (_congestion.OnFastRetransmit(_nextTsn - 1)) _fastRetransmitPending = true;
                else _fastRetransmitPending = true;
            }
        }

        if (cumAdvanced)
        {
            _errorCount = 0;
            _congestion.OnCumulativeTsn(cumAck);
        }
        _congestion.OnCumulativeAckAdvanced(cumAdvanced ? bytesAcked : 0, flightBefore + _mtu >= _congestion.Cwnd);
        _peerRwnd = Math.Max(0, sack.AdvertisedReceiverWindow - _flightSize);

        if (_flightSize == 0 && _retransmitCount == 0)
        {
            _congestion.OnAllAcknowledged();
            if (!Tsn.Greater(_advancedPeerAckPoint, _cumAckTsn))
            {
                _t3Running = false;
                _t3Timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        else if (cumAdvanced)
        {
            _t3Running = true;
            _t3Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
        }

        AdvancePeerAckPoint();
        WakeSendersIfRoom();
        if (_outstandingReset is null && _streamsAwaitingReset.Count > 0) _reconfigSendPending = true;
    }

    /// <summary>Acknowledges one chunk; returns the bytes newly acknowledged.</summary>
    private long AckChunk(OutboundChunk c, long now)
    {
        long acked = 0;
        if (!c.Acked && !c.Abandoned) acked = c.Length;
        if (!c.Acked && c.SentAt > _newlyAckedLatestSend) _newlyAckedLatestSend = c.SentAt;
        if (c.InFlight)
        {
            c.InFlight = false;
            _flightSize -= c.Length;
        }
        if (c.NeedsRetransmit)
        {
            c.NeedsRetransmit = false;
            _retransmitCount--;
        }
        if (_rttProbeActive && c.Tsn == _rttProbeTsn)
        {
            _rttProbeActive = false;
            if (c.Transmissions == 1) _rto.OnMeasurement(_time.GetElapsedTime(_rttProbeSentAt, now));
        }
        if (c.Buffer is { } buffer && !c.Acked)
        {
            // Acknowledged data is never needed again (we do not support reneging): free it now.
            ReturnChunkBuffer(buffer);
            c.Buffer = null;
        }
        ReleaseChunkBytes(c);
        return acked;
    }

    private long _newlyAckedLatestSend;

    private void WakeSendersIfRoom()
    {
        if (_totalBuffered < _options.MaxSendBuffer) WakeSenders();
    }

    private void OnT3Expired()
    {
        lock (_gate)
        {
            if (!_t3Running || !CanSendData && _state != SctpAssociationState.ShutdownSent) return;
            _t3Running = false;
            if (_inflight.Count == 0) return;
            _stats.RetransmissionTimeouts++;
            if (++_errorCount > _options.MaxAssociationRetransmits)
            {
                AbortLocked($"no acknowledgement after {_options.MaxAssociationRetransmits} retransmissions");
            }
            else
            {
                _rto.Backoff();
                _congestion.OnRetransmissionTimeout();
                _rttProbeActive = false;
                var now = Now;
                for (var i = 0; i < _inflight.Count; i++)
                {
                    var c = _inflight[i];
                    if (c.Acked || c.Abandoned || c.NeedsRetransmit) continue;
                    if (c.InFlight)
                    {
                        c.InFlight = false;
                        _flightSize -= c.Length;
                    }
                    c.NeedsRetransmit = true;
                    _retransmitCount++;
                    if (ShouldAbandon(c, now)) AbandonMessage(c.MessageId);
                }
                AdvancePeerAckPoint();
                if (Tsn.Greater(_advancedPeerAckPoint, _cumAckTsn)) _forwardTsnPending = true;
                Transmit();
                if (!_t3Running && (_retransmitCount > 0 || _flightSize > 0 || _forwardTsnPending))
                {
                    _t3Running = true;
                    _t3Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
                }
                FlushPacket();
            }
        }
        RunNotifications();
    }

    // ---------------------------------------------------------------- RE-CONFIG (sender side)

    private void WriteReconfig()
    {
        var hasRequest = false;
        if (_outstandingReset is null && _streamsAwaitingReset.Count > 0)
        {
            // Reset only streams whose queued data has all been given TSNs (RFC 6525 5.1.2).
            var ready = new List<ushort>();
            foreach (var id in _streamsAwaitingReset)
            {
                if (_outStreams.TryGetValue(id, out var s) && s.PendingChunks > 0) continue;
                ready.Add(id);
            }
            if (ready.Count > 0)
            {
                foreach (var id in ready) _streamsAwaitingReset.Remove(id);
                _outstandingReset = new OutgoingResetRequest(_nextReconfigRequestSeq++, _peerNextReconfigRequestSeq - 1, _nextTsn - 1, [.. ready]);
                _reconfigSendPending = true;
            }
        }
        if (_reconfigSendPending && _outstandingReset is not null)
        {
            hasRequest = true;
            _reconfigSendPending = false;
        }
        if (!hasRequest && _reconfigResponsesToSend.Count == 0) return;
        while (hasRequest || _reconfigResponsesToSend.Count > 0)
        {
            var parameters = 0;
            var request = hasRequest ? _outstandingReset : null;
            ReconfigResponse? response = _reconfigResponsesToSend.Count > 0 ? _reconfigResponsesToSend[0] : null;
            if (request is not null) parameters += ReconfigChunk.OutgoingResetRequestLength(request.Streams.Length);
            if (response is not null) parameters += ReconfigChunk.ResponseLength;
            var span = Reserve(SctpPacket.ChunkHeaderLength + parameters);
            var at = ReconfigChunk.WriteHeader(span, parameters);
            if (request is not null) at += ReconfigChunk.WriteOutgoingResetRequest(span[at..], request);
            if (response is not null)
            {
                at += ReconfigChunk.WriteResponse(span[at..], response);
                _reconfigResponsesToSend.RemoveAt(0);
            }
            _packetLength += at;
            if (request is not null)
            {
                hasRequest = false;
                _reconfigTimer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnReconfigResponse(ReconfigResponse response)
    {
        if (_outstandingReset is not { } request || response.ResponseSequence != request.RequestSequence) return;
        switch (response.Result)
        {
            case ReconfigResult.InProgress:
                _reconfigTimer.Change(_rto.Rto, Timeout.InfiniteTimeSpan); // ask again later
                return;
            case ReconfigResult.SuccessPerformed or ReconfigResult.SuccessNothingToDo:
                foreach (var id in request.Streams)
                {
                    if (_outStreams.TryGetValue(id, out var s))
                    {
                        s.NextSsn = 0;
                        s.ResetRequested = false;
                    }
                    Notify(NotificationKind.OutgoingStreamReset, id);
                }
                break;
            default:
                foreach (var id in request.Streams)
                {
                    if (_outStreams.TryGetValue(id, out var s)) s.ResetRequested = false;
                }
                break;
        }
        _outstandingReset = null;
        _reconfigTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private void OnReconfigTimer()
    {
        lock (_gate)
        {
            if (_outstandingReset is null || !CanSendData) return;
            _reconfigSendPending = true;
            WriteReconfig();
            FlushPacket();
        }
    }

    // ---------------------------------------------------------------- SHUTDOWN

    private void CheckShutdownProgress()
    {
        if (_pending.Count > 0 || _inflight.Count > 0) return;
        if (_state == SctpAssociationState.ShutdownPending)
        {
            _state = SctpAssociationState.ShutdownSent;
            SendShutdown();
        }
        else if (_state == SctpAssociationState.ShutdownReceived)
        {
            _state = SctpAssociationState.ShutdownAckSent;
            SendShutdownAck();
        }
    }

    private int _shutdownRetransmits;

    private void SendShutdown()
    {
        var written = ShutdownChunk.Write(Reserve(ShutdownChunk.Length), _peerCumTsn);
        _packetLength += written;
        _t2Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
    }

    private void SendShutdownAck()
    {
        var written = ShutdownChunk.WriteEmpty(Reserve(4), ChunkType.ShutdownAck);
        _packetLength += written;
        _t2Timer.Change(_rto.Rto, Timeout.InfiniteTimeSpan);
    }

    private void OnShutdown(uint cumulativeTsnAck)
    {
        switch (_state)
        {
            case SctpAssociationState.Established or SctpAssociationState.ShutdownPending:
                _state = SctpAssociationState.ShutdownReceived;
                break;
            case SctpAssociationState.ShutdownSent:
                _state = SctpAssociationState.ShutdownAckSent;
                SendShutdownAck();
                return;
            case SctpAssociationState.ShutdownAckSent:
                return;
            case SctpAssociationState.ShutdownReceived:
                break;
            default:
                return;
        }
        // The cumulative ack of SHUTDOWN acknowledges like a SACK without gaps.
        if (Tsn.Greater(cumulativeTsnAck, _cumAckTsn) && Tsn.Less(cumulativeTsnAck, _nextTsn))
        {
            var now = Now;
            while (Tsn.Less(_cumAckTsn, cumulativeTsnAck))
            {
                var c = _inflight.RemoveFirst();
                _cumAckTsn++;
                AckChunk(c, now);
                ReturnChunk(c);
            }
            if (_flightSize == 0 && _retransmitCount == 0)
            {
                _t3Running = false;
                _t3Timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        CheckShutdownProgress();
    }

    private void OnShutdownAck()
    {
        if (_state is not (SctpAssociationState.ShutdownSent or SctpAssociationState.ShutdownAckSent)) return;
        var written = ShutdownChunk.WriteEmpty(Reserve(4), ChunkType.ShutdownComplete);
        _packetLength += written;
        FlushPacket();
        FailLocked(null);
    }

    private void OnT2Expired()
    {
        lock (_gate)
        {
            if (_state is not (SctpAssociationState.ShutdownSent or SctpAssociationState.ShutdownAckSent)) return;
            if (++_shutdownRetransmits > _options.MaxAssociationRetransmits)
            {
                AbortLocked("the peer did not complete the shutdown");
            }
            else
            {
                _rto.Backoff();
                if (_state == SctpAssociationState.ShutdownSent) SendShutdown();
                else SendShutdownAck();
                FlushPacket();
            }
        }
        RunNotifications();
    }
}
