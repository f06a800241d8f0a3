using System.Collections.Concurrent;
using System.Net;

namespace WebTorrent.Http.Serving;

/// <summary>Counts streaming responses in total and per client address, against the configured limits.</summary>
internal sealed class StreamLimiter(int maxTotal, int maxPerClient)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private int _total;

    /// <summary>Responses streaming now.</summary>
    public int Active => Volatile.Read(ref _total);

    /// <summary>Takes a slot for <paramref name="client"/>; <see cref="Release"/> it when the response ends.</summary>
    public StreamAdmission TryEnter(IPAddress client)
    {
        if (Interlocked.Increment(ref _total) > maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return StreamAdmission.ServerBusy;
        }
        while (true)
        {
            if (_perClient.TryGetValue(client, out var current))
            {
                if (current >= maxPerClient)
                {
                    Interlocked.Decrement(ref _total);
                    return StreamAdmission.ClientBusy;
                }
                if (_perClient.TryUpdate(client, current + 1, current)) return StreamAdmission.Admitted;
            }
            else if (_perClient.TryAdd(client, 1))
            {
                return StreamAdmission.Admitted;
            }
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Release(IPAddress client)
    {
        while (true)
        {
            var current = _perClient[client];
            if (current == 1)
            {
                if (_perClient.TryRemove(new KeyValuePair<IPAddress, int>(client, 1))) break;
            }
            else if (_perClient.TryUpdate(client, current - 1, current))
            {
                break;
            }
        }
        Interlocked.Decrement(ref _total);
    }
}

/// <summary>The answer of <see cref="StreamLimiter.TryEnter"/>.</summary>
internal enum StreamAdmission
{
    /// <summary>The response may stream.</summary>
    Admitted,

    /// <summary>This client already has its maximum of streams (429).</summary>
    ClientBusy,

    /// <summary>The server has its maximum of streams (503).</summary>
    ServerBusy,
}
