using System.Collections.Concurrent;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>
/// How many of something (open sockets, waiting offers) each address holds, capped per address. An address's entry
/// exists only while its count is above zero, so memory follows what is open, not who ever came.
/// </summary>
internal sealed class AddressCounter
{
    private readonly ConcurrentDictionary<AddressKey, int> _counts = new();

    /// <summary>Counts one more for <paramref name="address"/> unless it already holds <paramref name="max"/>.</summary>
    public bool TryAcquire(AddressKey address, int max)
    {
        while (true)
        {
            if (_counts.TryGetValue(address, out var count))
            {
                if (count >= max) return false;
                if (_counts.TryUpdate(address, count + 1, count)) return true;
            }
            else if (_counts.TryAdd(address, 1))
            {
                return true;
            }
        }
    }

    /// <summary>Gives back one that <see cref="TryAcquire"/> counted.</summary>
    public void Release(AddressKey address)
    {
        while (_counts.TryGetValue(address, out var count))
        {
            if (count <= 1 ? _counts.TryRemove(new KeyValuePair<AddressKey, int>(address, count)) : _counts.TryUpdate(address, count - 1, count)) return;
        }
    }

    /// <summary>What <paramref name="address"/> holds now.</summary>
    public int Count(AddressKey address) => _counts.TryGetValue(address, out var count) ? count : 0;
}
