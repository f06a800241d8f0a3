namespace WebRtc.Ice.Turn;

/// <summary>A response to a TURN request: the parsed message, its bytes (for MESSAGE-INTEGRITY) and its TURN attributes.</summary>
/// <param name="Message">The parsed STUN message.</param>
/// <param name="Datagram">The bytes it was parsed from.</param>
/// <param name="Attributes">Its TURN attributes.</param>
public sealed record TurnResponse(StunMessage Message, byte[] Datagram, TurnAttributes Attributes);

/// <summary>
/// Outstanding TURN requests: sends each with RFC 8489's retransmissions over UDP (the timeout doubling from
/// <see cref="TurnClientOptions.InitialRetransmitTimeout"/>, <see cref="TurnClientOptions.MaxTransmissions"/> sends,
/// then 16 timeouts more before giving up) and matches responses by transaction id.
/// </summary>
internal sealed class TurnTransactions(TurnClientOptions options, Action<byte[]> send)
{
    private const int LastWaitFactor = 16; // RFC 8489 Rm

    private readonly Dictionary<StunTransactionId, TaskCompletionSource<TurnResponse>> _pending = [];

    /// <summary>Sends <paramref name="request"/> until its response arrives.</summary>
    /// <exception cref="TimeoutException">No response after every retransmission.</exception>
    public async Task<TurnResponse> SendAsync(StunTransactionId id, byte[] request, CancellationToken cancellationToken)
    {
        var response = new TaskCompletionSource<TurnResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending) _pending[id] = response;
        try
        {
            var timeout = options.InitialRetransmitTimeout;
            for (var sent = 1; ; sent++)
            {
                send(request);
                var last = sent >= options.MaxTransmissions;
                var wait = last ? options.InitialRetransmitTimeout * LastWaitFactor : timeout;
                var delay = Task.Delay(wait, options.TimeProvider, cancellationToken);
                if (await Task.WhenAny(response.Task, delay) == response.Task) return await response.Task;
                await delay; // throws when cancelled
                if (last) throw new TimeoutException($"No TURN response after {sent} transmissions.");
                timeout *= 2;
            }
        }
        finally
        {
            lock (_pending) _pending.Remove(id);
        }
    }

    /// <summary>Completes the request <paramref name="response"/> answers; false when none is waiting for it.</summary>
    public bool TryComplete(TurnResponse response)
    {
        TaskCompletionSource<TurnResponse>? waiting;
        lock (_pending) _pending.Remove(response.Message.TransactionId, out waiting);
        return waiting?.TrySetResult(response) ?? false;
    }
}
