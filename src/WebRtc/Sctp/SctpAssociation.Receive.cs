using System.Buffers;
using System.Buffers.Binary;
using WebRtc.Sctp.Chunks;
using WebRtc.Sctp.Congestion;

namespace WebRtc.Sctp;

public sealed partial class SctpAssociation
{
    private void ProcessPacket(ReadOnlySpan<byte> packet)
    {
        // A zero checksum is accepted when we offered it (RFC 9653), except on a packet that starts with INIT.
        var acceptZero = _options.ZeroChecksum && packet.Length > SctpPacket.HeaderLength && packet[SctpPacket.HeaderLength] != (byte)ChunkType.Init;
        if (!SctpPacket.TryReadHeader(packet, out _, out var destinationPort, out var tag) ||
            destinationPort != _options.LocalPort || !SctpPacket.VerifyChecksum(packet, acceptZero))
        {
            lock (_gate) _stats.PacketsDropped++;
            return;
        }
        var zeroChecksum = BinaryPrimitives.ReadUInt32LittleEndian(packet[8..]) == 0;
        lock (_gate)
        {
            if (zeroChecksum) _stats.ZeroChecksumPacketsReceived++;
            if (_state == SctpAssociationState.Closed && _started)
            {
                AnswerAfterClose(packet, tag);
                return;
            }
            _stats.PacketsReceived++;
            var sawData = false;
            var first = true;
            var chunks = SctpPacket.EnumerateChunks(packet);
            foreach (var chunk in chunks)
            {
                var type = chunk.ChunkType;
                if (first && type == ChunkType.Init)
                {
                    // INIT travels alone with tag 0 (RFC 9260 8.5.1).
                    if (tag == 0 && InitChunk.TryParse(false, chunk.Value, out var init)) OnInit(init!);
                    else _stats.PacketsDropped++;
                    break;
                }
                first = false;
                var reflected = (chunk.Flags & AbortChunk.ReflectedTagFlag) != 0;
                var tagOk = type switch
                {
                    ChunkType.Abort or ChunkType.ShutdownComplete => reflected ? tag == _peerTag && _peerTag != 0 : tag == _localTag,
                    _ => tag == _localTag,
                };
                if (!tagOk)
                {
                    _stats.PacketsDropped++;
                    break;
                }
                if (!ProcessChunk(chunk, ref sawData)) break;
                if (_state == SctpAssociationState.Closed) return;
            }
            if (chunks.Malformed) _stats.PacketsDropped++;
            if (sawData) OnDataPacketProcessed();
            if (_state != SctpAssociationState.Closed)
            {
                Transmit();
                FlushPacket();
            }
        }
    }

    /// <summary>
    /// A closed association still answers a retransmitted SHUTDOWN-ACK with SHUTDOWN-COMPLETE (T bit,
    /// reflected tag) so the peer does not time out when our first SHUTDOWN-COMPLETE was lost (RFC 9260 8.4).
    /// </summary>
    private void AnswerAfterClose(ReadOnlySpan<byte> packet, uint tag)
    {
        foreach (var chunk in SctpPacket.EnumerateChunks(packet))
        {
            if (chunk.ChunkType != ChunkType.ShutdownAck) continue;
            var written = ShutdownChunk.WriteEmpty(Reserve(4, tag), ChunkType.ShutdownComplete, AbortChunk.ReflectedTagFlag);
            _packetLength += written;
            FlushPacket();
            return;
        }
    }

    /// <summary>Handles one chunk; false stops processing the rest of the packet.</summary>
    private bool ProcessChunk(RawChunk chunk, ref bool sawData)
    {
        switch (chunk.ChunkType)
        {
            case ChunkType.Data:
                if (!DataChunk.TryParse(chunk.Flags, chunk.Value, out var data))
                {
                    AbortLocked("DATA chunk without user data");
                    return false;
                }
                sawData = true;
                OnData(data);
                return true;
            case ChunkType.Sack:
                if (SackChunk.TryParse(chunk.Value, out var sack)) OnSack(sack);
                return true;
            case ChunkType.InitAck:
                if (InitChunk.TryParse(true, chunk.Value, out var initAck)) OnInitAck(initAck!);
                return true;
            case ChunkType.CookieEcho:
                OnCookieEcho(chunk.Value);
                return true;
            case ChunkType.CookieAck:
                OnCookieAck();
                return true;
            case ChunkType.Heartbeat:
                if (HeartbeatChunk.TryParse(chunk.Value, out var info))
                {
                    var written = HeartbeatChunk.Write(Reserve(HeartbeatChunk.SerializedLength(info.Length)), true, info);
                    _packetLength += written;
                }
                return true;
            case ChunkType.HeartbeatAck:
                OnHeartbeatAck(chunk.Value);
                return true;
            case ChunkType.Abort:
                OnAbort(chunk.Value);
                return false;
            case ChunkType.Shutdown:
                if (ShutdownChunk.TryParse(chunk.Value, out var cumAck)) OnShutdown(cumAck);
                return true;
            case ChunkType.ShutdownAck:
                OnShutdownAck();
                return true;
            case ChunkType.ShutdownComplete:
                if (_state == SctpAssociationState.ShutdownAckSent) FailLocked(null);
                return false;
            case ChunkType.Error:
                return true; // Errors are informational for us (unrecognized parameters and the like).
            case ChunkType.ForwardTsn:
                if (ForwardTsnChunk.TryParse(chunk.Value, out var forward)) OnForwardTsn(forward);
                return true;
            case ChunkType.ReConfig:
                OnReconfig(chunk.Value);
                return true;
            case ChunkType.Init:
                _stats.PacketsDropped++; // INIT bundled with other chunks: invalid
                return false;
            default:
                var action = ChunkTypeExtensions.ActionForUnrecognized(chunk.Type);
                if (action is UnrecognizedAction.StopAndReport or UnrecognizedAction.SkipAndReport) ReportUnrecognizedChunk(chunk);
                return action is UnrecognizedAction.Skip or UnrecognizedAction.SkipAndReport;
        }
    }

    private void ReportUnrecognizedChunk(RawChunk chunk)
    {
        // The cause carries the unrecognized chunk itself; keep it small.
        var length = Math.Min(chunk.Value.Length, 256);
        Span<byte> copy = stackalloc byte[4 + length];
        copy[0] = chunk.Type;
        copy[1] = chunk.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)(4 + length));
        chunk.Value[..length].CopyTo(copy[4..]);
        var written = AbortChunk.Write(Reserve(AbortChunk.SerializedLength(copy.Length)), ChunkType.Error, 0, AbortChunk.UnrecognizedChunkTypeCause, copy);
        _packetLength += written;
    }

    // ---------------------------------------------------------------- DATA

    private void OnData(DataChunk data)
    {
        if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShutdownPending or SctpAssociationState.ShutdownSent))
        {
            return;
        }
        _stats.DataChunksReceived++;
        var tsn = data.Tsn;
        if (Tsn.LessOrEqual(tsn, _peerCumTsn) || (tsn - _peerCumTsn <= TsnBitmap.Capacity && _received.Contains(tsn)))
        {
            _stats.DuplicateChunksReceived++;
            if (_duplicateCount < MaxDuplicates) _duplicates[_duplicateCount++] = tsn;
            _sackImmediately = true;
            return;
        }
        if (tsn - _peerCumTsn > TsnBitmap.Capacity - 1)
        {
            _sackImmediately = true; // far beyond the window: drop, the SACK tells the sender where we are
            return;
        }
        var length = data.UserData.Length;
        var nextInOrder = tsn == _peerCumTsn + 1;
        if (_receiveBuffered + length > _options.ReceiveWindow &&
            (!nextInOrder || _receiveBuffered + length > 2L * _options.ReceiveWindow))
        {
            // No room (RFC 9260 6.2): drop, but keep accepting the next in-order chunk so a message
            // blocking the head can still complete.
            _sackImmediately = true;
            return;
        }
        if (!data.IsUnordered && !(nextInOrder ? _reassembly.HasReserveFor(length) : _reassembly.HasRoomFor(length)))
        {
            // Too many fragments already wait for reassembly: drop unacknowledged, the sender retransmits.
            _stats.ChunksDroppedForReassemblyLimit++;
            _sackImmediately = true;
            return;
        }

        _received.Set(tsn);
        if (Tsn.Greater(tsn, _highestReceivedTsn)) _highestReceivedTsn = tsn;
        else _sackImmediately = true; // fills a hole: tell the sender now
        AdvanceCumulativeTsn();
        if (_highestReceivedTsn != _peerCumTsn) _sackImmediately = true;

        if (data.StreamId >= _inboundStreamCount) return; // acknowledged, but there is no such stream

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        data.UserData.CopyTo(buffer);
        _receiveBuffered += length;
        var stream = GetInboundStream(data.StreamId);
        var fragment = new InboundFragment(tsn, data.StreamSequence, data.PayloadProtocol, data.Flags, buffer, length);
        if (data.IsUnordered)
        {
            InsertUnordered(data.StreamId, stream, fragment);
        }
        else
        {
            if ((short)(data.StreamSequence - stream.ExpectedSsn) < 0)
            {
                // An SSN already delivered or skipped: a stale retransmission of an abandoned message.
                ReleaseReceiveBufferLocked(length);
                ArrayPool<byte>.Shared.Return(buffer);
                return;
            }
            stream.Ordered.Add(fragment);
            DeliverOrdered(data.StreamId, stream);
        }
    }

    private void AdvanceCumulativeTsn()
    {
        while (_received.Contains(_peerCumTsn + 1))
        {
            _peerCumTsn++;
            _received.Clear(_peerCumTsn);
        }
        if (Tsn.Greater(_peerCumTsn, _highestReceivedTsn)) _highestReceivedTsn = _peerCumTsn;
        if (_deferredIncomingReset is { } deferred && Tsn.LessOrEqual(deferred.LastAssignedTsn, _peerCumTsn))
        {
            _deferredIncomingReset = null;
            PerformIncomingReset(deferred);
        }
    }

    private void OnDataPacketProcessed()
    {
        _dataPacketsSinceSack++;
        _sackDue = true;
        if (_state == SctpAssociationState.ShutdownSent)
        {
            // RFC 9260 9.2: acknowledge at once and repeat the SHUTDOWN.
            _sackImmediately = true;
            var written = ShutdownChunk.Write(Reserve(ShutdownChunk.Length), _peerCumTsn);
            _packetLength += written;
        }
        if (_sackImmediately || _dataPacketsSinceSack >= 2)
        {
            WriteSack();
        }
        else if (!_delayedAckArmed)
        {
            _delayedAckArmed = true;
            _delayedAckTimer.Change(_options.DelayedAckTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void DeliverOrdered(ushort streamId, InboundStream stream)
    {
        var message = _collected;
        while (stream.Ordered.TryCollect(stream.ExpectedSsn, message, out var total))
        {
            if (!DeliverMessage(streamId, message, 0, message.Count - 1, total, unordered: false)) return;
            stream.Ordered.Release(stream.ExpectedSsn);
            stream.ExpectedSsn++;
        }
        message.Clear();
    }

    private void InsertUnordered(ushort streamId, InboundStream stream, InboundFragment fragment)
    {
        var list = stream.Unordered;
        if (fragment.IsBeginning && fragment.IsEnd)
        {
            // The common case, a message in one chunk: deliver without touching the list.
            list.Add(fragment);
            if (DeliverMessage(streamId, list, list.Count - 1, list.Count - 1, fragment.Length, unordered: true)) list.RemoveAt(list.Count - 1);
            return;
        }
        var i = list.Count;
        while (i > 0 && Tsn.Greater(list[i - 1].Tsn, fragment.Tsn)) i--;
        list.Insert(i, fragment);
        var start = i;
        while (!list[start].IsBeginning)
        {
            if (start == 0 || list[start - 1].Tsn != list[start].Tsn - 1) return;
            start--;
        }
        var end = i;
        while (!list[end].IsEnd)
        {
            if (end + 1 >= list.Count || list[end + 1].Tsn != list[end].Tsn + 1 || list[end + 1].IsBeginning) return;
            end++;
        }
        var total = 0;
        for (var k = start; k <= end; k++) total += list[k].Length;
        if (DeliverMessage(streamId, list, start, end, total, unordered: true)) list.RemoveRange(start, end - start + 1);
    }

    /// <summary>Hands fragments start..end (inclusive) over as one message. False if the association aborted instead.</summary>
    private bool DeliverMessage(ushort streamId, List<InboundFragment> list, int start, int end, int total, bool unordered)
    {
        if (total > _options.MaxReceiveMessageSize)
        {
            AbortLocked($"message of {total} bytes exceeds the limit of {_options.MaxReceiveMessageSize}");
            return false;
        }
        byte[] buffer;
        if (start == end)
        {
            buffer = list[start].Buffer;
        }
        else
        {
            buffer = ArrayPool<byte>.Shared.Rent(total);
            var at = 0;
            for (var k = start; k <= end; k++)
            {
                var f = list[k];
                f.Buffer.AsSpan(0, f.Length).CopyTo(buffer.AsSpan(at));
                at += f.Length;
                ArrayPool<byte>.Shared.Return(f.Buffer);
            }
        }
        var message = new SctpMessage();
        message.Initialize(this, streamId, list[start].PayloadProtocol, unordered, buffer, total);
        _deliveries.Add(new Delivery(message, streamId));
        _stats.MessagesDelivered++;
        return true;
    }

    /// <summary>Frees a fragment dropped before delivery (abandoned message, stream reset).</summary>
    private void ReleaseFragmentLocked(InboundFragment fragment)
    {
        ReleaseReceiveBufferLocked(fragment.Length);
        ArrayPool<byte>.Shared.Return(fragment.Buffer);
    }

    internal void ReleaseReceiveBuffer(int length)
    {
        lock (_gate)
        {
            ReleaseReceiveBufferLocked(length);
            if (_state is SctpAssociationState.Closed) return;
            // Window update: the application freed a good part of a window that had gone small.
            var window = _options.ReceiveWindow;
            if (_lastAdvertisedRwnd < window / 2 && window - _receiveBuffered - _lastAdvertisedRwnd >= window / 4)
            {
                WriteSack();
                FlushPacket();
            }
        }
    }

    private void ReleaseReceiveBufferLocked(int length) => _receiveBuffered = Math.Max(0, _receiveBuffered - length);

    private void WriteSack()
    {
        var gapCount = 0;
        if (_highestReceivedTsn != _peerCumTsn)
        {
            // Walk the bitmap from the cumulative TSN up to the highest TSN received.
            var span = _highestReceivedTsn - _peerCumTsn;
            uint offset = 1;
            while (offset <= span && gapCount < MaxGapBlocks)
            {
                while (offset <= span && !_received.Contains(_peerCumTsn + offset)) offset++;
                if (offset > span) break;
                var start = offset;
                while (offset <= span && _received.Contains(_peerCumTsn + offset)) offset++;
                if (offset - 1 > ushort.MaxValue) break;
                _gapScratch[gapCount++] = new GapAckBlock((ushort)start, (ushort)(offset - 1));
            }
        }
        var rwnd = Math.Max(0, _options.ReceiveWindow - _receiveBuffered);
        _lastAdvertisedRwnd = rwnd;
        var length = SackChunk.SerializedLength(gapCount, _duplicateCount);
        var written = SackChunk.Write(Reserve(length), _peerCumTsn, (uint)rwnd, _gapScratch.AsSpan(0, gapCount), _duplicates.AsSpan(0, _duplicateCount));
        _packetLength += written;
        _stats.SacksSent++;
        _duplicateCount = 0;
        _sackImmediately = false;
        _sackDue = false;
        _dataPacketsSinceSack = 0;
        if (_delayedAckArmed)
        {
            _delayedAckArmed = false;
            _delayedAckTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDelayedAckExpired()
    {
        lock (_gate)
        {
            _delayedAckArmed = false;
            if (!_sackDue || _state == SctpAssociationState.Closed) return;
            WriteSack();
            Transmit();
            FlushPacket();
        }
    }

    // ---------------------------------------------------------------- FORWARD-TSN (receiver side)

    private void OnForwardTsn(ForwardTsnChunk forward)
    {
        if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShutdownPending or SctpAssociationState.ShutdownSent)) return;
        _sackImmediately = true;
        _sackDue = true;
        var newCum = forward.NewCumulativeTsn;
        if (Tsn.LessOrEqual(newCum, _peerCumTsn)) return;
        if (newCum - _peerCumTsn >= TsnBitmap.Capacity) _received.ClearAll();
        else
        {
            for (var t = _peerCumTsn + 1; t != newCum + 1; t++) _received.Clear(t);
        }
        _peerCumTsn = newCum;
        AdvanceCumulativeTsn();

        // Drop fragments of abandoned messages and move each named ordered stream past its skipped SSN.
        for (var i = 0; i < forward.StreamCount; i++)
        {
            var s = forward.GetStream(i);
            if (!_inStreams.TryGetValue(s.StreamId, out var stream)) stream = GetInboundStream(s.StreamId);
            stream.Ordered.RemoveThrough(s.StreamSequence, ReleaseFragmentLocked);
            if ((short)(s.StreamSequence - stream.ExpectedSsn) >= 0) stream.ExpectedSsn = (ushort)(s.StreamSequence + 1);
            DeliverOrdered(s.StreamId, stream);
        }
        foreach (var stream in _inStreams.Values)
        {
            if (stream.Unordered.Count == 0) continue;
            var removed = stream.Unordered.RemoveAll(f =>
            {
                if (!Tsn.LessOrEqual(f.Tsn, newCum)) return false;
                ReleaseReceiveBufferLocked(f.Length);
                ArrayPool<byte>.Shared.Return(f.Buffer);
                return true;
            });
            _ = removed;
        }
        SendWriteSackIfDue();
    }

    private void SendWriteSackIfDue()
    {
        if (_sackImmediately) WriteSack();
    }

    // ---------------------------------------------------------------- RE-CONFIG

    private void OnReconfig(ReadOnlySpan<byte> value)
    {
        if (_state is SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed or SctpAssociationState.Closed) return;
        var requests = new List<OutgoingResetRequest>(1);
        var responses = new List<ReconfigResponse>(1);
        var unsupported = new List<uint>();
        if (!ReconfigChunk.TryParse(value, requests, responses, unsupported)) return;
        foreach (var request in requests) OnOutgoingResetRequest(request);
        foreach (var seq in unsupported)
        {
            _reconfigResponsesToSend.Add(new ReconfigResponse(seq, ReconfigResult.Denied));
        }
        foreach (var response in responses) OnReconfigResponse(response);
    }

    private void OnOutgoingResetRequest(OutgoingResetRequest request)
    {
        if (request.RequestSequence == _peerNextReconfigRequestSeq)
        {
            if (_deferredIncomingReset is not null)
            {
                _reconfigResponsesToSend.Add(new ReconfigResponse(request.RequestSequence, ReconfigResult.InProgress));
                return;
            }
            if (Tsn.LessOrEqual(request.LastAssignedTsn, _peerCumTsn))
            {
                PerformIncomingReset(request);
            }
            else
            {
                // Data sent before the reset is still missing: finish it first (RFC 6525 5.2.2 E2).
                _deferredIncomingReset = request;
                _reconfigResponsesToSend.Add(new ReconfigResponse(request.RequestSequence, ReconfigResult.InProgress));
            }
        }
        else if (request.RequestSequence == _peerNextReconfigRequestSeq - 1 && _lastReconfigResponse is { } last)
        {
            _reconfigResponsesToSend.Add(last); // a retransmitted request: repeat the answer
        }
        else
        {
            _reconfigResponsesToSend.Add(new ReconfigResponse(request.RequestSequence, ReconfigResult.ErrorBadSequenceNumber));
        }
    }

    private void PerformIncomingReset(OutgoingResetRequest request)
    {
        if (request.Streams.Length == 0)
        {
            foreach (var (id, stream) in _inStreams) ResetInbound(id, stream);
        }
        else
        {
            foreach (var id in request.Streams) ResetInbound(id, GetInboundStream(id));
        }
        _peerNextReconfigRequestSeq = request.RequestSequence + 1;
        _lastReconfigResponse = new ReconfigResponse(request.RequestSequence, ReconfigResult.SuccessPerformed);
        _reconfigResponsesToSend.Add(_lastReconfigResponse);
    }

    private void ResetInbound(ushort id, InboundStream stream)
    {
        stream.ExpectedSsn = 0;
        stream.Ordered.Clear(ReleaseFragmentLocked);
        _deliveries.Add(new Delivery(null, id));
    }

    // ---------------------------------------------------------------- HEARTBEAT and SHUTDOWN (receiver side)

    private void OnHeartbeatAck(ReadOnlySpan<byte> value)
    {
        if (!HeartbeatChunk.TryParse(value, out var info) || info.Length != 16) return;
        if (BinaryPrimitives.ReadUInt64BigEndian(info[8..]) != _localTag) return;
        _heartbeatOutstanding = false;
        _errorCount = 0;
        var sentAt = BinaryPrimitives.ReadInt64BigEndian(info);
        _rto.OnMeasurement(Elapsed(sentAt));
    }

    private void OnHeartbeatTimer()
    {
        lock (_gate)
        {
            if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShutdownPending)) return;
            if (_heartbeatOutstanding && ++_errorCount > _options.MaxAssociationRetransmits)
            {
                FailLocked(new SctpException("The peer stopped answering heartbeats."));
            }
            else
            {
                Span<byte> info = stackalloc byte[16];
                BinaryPrimitives.WriteInt64BigEndian(info, Now);
                BinaryPrimitives.WriteUInt64BigEndian(info[8..], _localTag);
                var written = HeartbeatChunk.Write(Reserve(HeartbeatChunk.SerializedLength(info.Length)), false, info);
                _packetLength += written;
                _heartbeatOutstanding = true;
                FlushPacket();
            }
        }
        RunNotifications();
    }
}
