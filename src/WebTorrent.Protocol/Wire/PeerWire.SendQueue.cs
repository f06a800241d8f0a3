namespace WebTorrent.Protocol;

public sealed partial class PeerWire
{
    /// <summary>What one waiting message costs beyond its bytes (its async state and lock waiter), roughly.</summary>
    internal const int QueuedMessageOverhead = 256;

    private long _queuedSendBytes;
    private long _lastSendProgress;

    /// <summary>
    /// Bytes waiting to be written or flushed to the transport, each message counted with a small fixed overhead; kept
    /// under <see cref="PeerWireOptions.MaxQueuedSendBytes"/> for every answer the peer can ask for.
    /// </summary>
    public long QueuedSendBytes => Interlocked.Read(ref _queuedSendBytes);

    private static long CostOf(int length) => (long)length + QueuedMessageOverhead;

    private void EnterSendQueue(int length)
    {
        // The stall clock starts when the queue stops being empty, not at the last flush long ago.
        if (Interlocked.Add(ref _queuedSendBytes, CostOf(length)) == CostOf(length)) _lastSendProgress = _time.GetTimestamp();
    }

    /// <summary>Counts a message in the queue unless that would pass the bound; false when it must be refused.</summary>
    private bool TryEnterSendQueue(int length)
    {
        var cost = CostOf(length);
        var queued = Interlocked.Read(ref _queuedSendBytes);
        while (true)
        {
            if (queued + cost > _options.MaxQueuedSendBytes) return false;
            var seen = Interlocked.CompareExchange(ref _queuedSendBytes, queued + cost, queued);
            if (seen == queued) break;
            queued = seen;
        }
        if (queued == 0) _lastSendProgress = _time.GetTimestamp();
        return true;
    }

    private void LeaveSendQueue(int length) => Interlocked.Add(ref _queuedSendBytes, -CostOf(length));

    /// <summary>Whether a block of <paramref name="length"/> bytes could still be queued for sending.</summary>
    private bool SendQueueHasRoomFor(int length) => QueuedSendBytes + CostOf(13 + length) <= _options.MaxQueuedSendBytes;

    /// <summary>Closes the wire when bytes have waited for the peer to read for longer than the send-stall timeout.</summary>
    private bool CloseIfSendStalled()
    {
        var queued = QueuedSendBytes;
        if (queued <= 0 || _time.GetElapsedTime(_lastSendProgress) < _options.SendStallTimeout) return false;
        Shutdown(PeerWireCloseReason.Timeout, new TimeoutException(
            $"The peer read nothing for {_options.SendStallTimeout} while {queued} bytes waited to be sent."));
        return true;
    }

    /// <summary>
    /// Runs a send nobody awaits, observed: failing because the wire is closing is expected; a transport failure closes
    /// the wire as such; anything else closes it with the exception as <see cref="CloseError"/>, never the process.
    /// </summary>
    private void RunInBackground(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult();
            return;
        }
        _ = ObserveAsync(task);
    }

    private async Task ObserveAsync(ValueTask task)
    {
        try
        {
            await task;
        }
        catch (Exception) when (IsClosed)
        {
            // The wire is closing; its Closed event reports why.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Shutdown(PeerWireCloseReason.TransportError, ex);
        }
#pragma warning disable CA1031 // Nobody awaits this send: whatever failed must close the wire, not vanish or crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Shutdown(PeerWireCloseReason.Local, ex);
        }
    }
}
