using System.Net;

namespace WebRtc.Ice.Turn;

/// <summary>A channel number reserved for a peer, bound once the server confirms ChannelBind.</summary>
internal sealed class TurnChannelBinding(ushort number, IPEndPoint peer)
{
    public ushort Number { get; } = number;

    public IPEndPoint Peer { get; } = peer;

    public bool Bound { get; set; }
}

/// <summary>
/// The channel bindings of an allocation (RFC 8656 section 12). A peer gets a channel once it is active: we have heard
/// from it through the relay and are sending to it. Numbers are handed out once each and never rebound to another
/// peer. Not thread-safe: the client's lock guards it.
/// </summary>
internal sealed class TurnChannels(int maxChannels)
{
    private const int MaxHeardPeers = 1024;

    private readonly Dictionary<IPEndPoint, TurnChannelBinding> _byPeer = [];
    private readonly Dictionary<ushort, TurnChannelBinding> _byNumber = [];
    private readonly HashSet<IPEndPoint> _heard = [];
    private int _next = ChannelData.MinChannelNumber;

    /// <summary>The bound channel of <paramref name="peer"/>, if any.</summary>
    public ushort? BoundChannel(IPEndPoint peer) => _byPeer.TryGetValue(peer, out var b) && b.Bound ? b.Number : null;

    /// <summary>The binding of <paramref name="peer"/>, bound or pending.</summary>
    public TurnChannelBinding? BindingOf(IPEndPoint peer) => _byPeer.GetValueOrDefault(peer);

    /// <summary>
    /// The peer of a channel we asked to bind, if any. Pending bindings count: the server sends ChannelData on a
    /// channel only once it has bound it, and that data can overtake our handling of its success response.
    /// </summary>
    public IPEndPoint? PeerOf(ushort number) => _byNumber.TryGetValue(number, out var b) ? b.Peer : null;

    /// <summary>Notes that <paramref name="peer"/> sent us something through the relay.</summary>
    public void MarkHeard(IPEndPoint peer)
    {
        if (_heard.Count < MaxHeardPeers) _heard.Add(peer);
    }

    /// <summary>Reserves a channel for an active peer that has none, or returns null.</summary>
    public TurnChannelBinding? TryReserve(IPEndPoint peer)
    {
        if (_byPeer.ContainsKey(peer) || !_heard.Contains(peer) || _byPeer.Count >= maxChannels || _next > ChannelData.MaxChannelNumber) return null;
        var binding = new TurnChannelBinding((ushort)_next++, peer);
        _byPeer[peer] = binding;
        _byNumber[binding.Number] = binding;
        return binding;
    }

    /// <summary>Forgets a binding whose ChannelBind failed; the peer goes back to Send indications.</summary>
    public void Release(TurnChannelBinding binding)
    {
        _byPeer.Remove(binding.Peer);
        _byNumber.Remove(binding.Number);
    }
}
