using System.Net;

namespace WebRtc.Ice.Turn;

/// <summary>What to do with a datagram for a peer, given its permission.</summary>
internal enum TurnSendAction
{
    /// <summary>The permission is installed: send it.</summary>
    Send,

    /// <summary>No permission yet: it is queued, and the caller must create the permission.</summary>
    CreateAndWait,

    /// <summary>The permission is being created: it is queued.</summary>
    Wait,

    /// <summary>Too many permissions, or the queue is full: dropped, as UDP would.</summary>
    Drop,
}

/// <summary>
/// The permissions of an allocation (RFC 8656 section 9), one per peer IP address, with the few datagrams that wait
/// for one to be installed. Not thread-safe: the client's lock guards it.
/// </summary>
internal sealed class TurnPermissions(int maxPermissions, int maxWaiting)
{
    private readonly Dictionary<IPAddress, Permission> _byAddress = [];

    /// <summary>The permissions created or being created.</summary>
    public int Count => _byAddress.Count;

    /// <summary>Whether a permission for <paramref name="address"/> is installed.</summary>
    public bool IsInstalled(IPAddress address) => _byAddress.TryGetValue(address, out var p) && p.Installed;

    /// <summary>The peer a permission was first asked for (its XOR-PEER-ADDRESS), if there is one.</summary>
    public IPEndPoint? PeerOf(IPAddress address) => _byAddress.TryGetValue(address, out var p) ? p.Peer : null;

    /// <summary>Decides what happens to <paramref name="datagram"/> for <paramref name="peer"/>, queueing a copy when it must wait.</summary>
    public TurnSendAction OnSend(IPEndPoint peer, ReadOnlySpan<byte> datagram)
    {
        if (_byAddress.TryGetValue(peer.Address, out var permission))
        {
            if (permission.Installed) return TurnSendAction.Send;
            if (permission.Waiting.Count >= maxWaiting) return TurnSendAction.Drop;
            permission.Waiting.Add((datagram.ToArray(), peer));
            return TurnSendAction.Wait;
        }
        if (_byAddress.Count >= maxPermissions) return TurnSendAction.Drop;
        permission = new Permission(peer);
        if (maxWaiting > 0) permission.Waiting.Add((datagram.ToArray(), peer));
        _byAddress[peer.Address] = permission;
        return TurnSendAction.CreateAndWait;
    }

    /// <summary>Marks the permission installed; returns the datagrams that waited for it.</summary>
    public IReadOnlyList<(byte[] Datagram, IPEndPoint Peer)> Install(IPAddress address)
    {
        if (!_byAddress.TryGetValue(address, out var permission)) return [];
        permission.Installed = true;
        var waiting = permission.Waiting.ToArray();
        permission.Waiting.Clear();
        return waiting;
    }

    /// <summary>Forgets the permission (creating or refreshing it failed) and its waiting datagrams.</summary>
    public void Remove(IPAddress address) => _byAddress.Remove(address);

    private sealed class Permission(IPEndPoint peer)
    {
        public IPEndPoint Peer { get; } = peer;

        public bool Installed { get; set; }

        public List<(byte[] Datagram, IPEndPoint Peer)> Waiting { get; } = [];
    }
}
