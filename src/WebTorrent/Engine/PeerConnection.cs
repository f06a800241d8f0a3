using System.Net;
using System.Threading.Channels;
using WebTorrent.Discovery;
using WebTorrent.Protocol;

namespace WebTorrent.Engine;

/// <summary>One peer of one torrent: its wire plus what the engine tracks about it. Mutable state is guarded by the torrent's lock.</summary>
internal sealed class PeerConnection
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Dictionary<(int Piece, int Offset), CancellationTokenSource> _inFlight = [];
    private readonly Stack<CancellationTokenSource> _freeTokens = new();

    public PeerConnection(PeerWire wire, IPEndPoint? endPoint, PeerSource source, bool outgoing, int maxQueuedUploads)
    {
        Wire = wire;
        EndPoint = endPoint;
        Source = source;
        IsOutgoing = outgoing;
        // Wait mode: TryWrite fails when full, so the request is rejected rather than silently dropped.
        Uploads = Channel.CreateBounded<Protocol.BlockRequest>(new BoundedChannelOptions(maxQueuedUploads) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    }

    public PeerWire Wire { get; }

    /// <summary>The remote endpoint of the transport, if any.</summary>
    public IPEndPoint? EndPoint { get; }

    /// <summary>The address other peers can dial (PEX): the endpoint we dialled, or the remote IP with its announced listen port.</summary>
    public IPEndPoint? ListenEndPoint => IsOutgoing ? EndPoint
        : EndPoint is { } e && Wire.RemoteExtendedHandshake?.ListenPort is { } port ? new IPEndPoint(e.Address, port) : null;

    public PeerSource Source { get; }

    /// <summary>What carries the wire (TCP, a WebRTC data channel, an application's pipe).</summary>
    public PeerTransport Transport { get; init; }

    public bool IsOutgoing { get; }

    /// <summary>Block requests the engine has in flight to this peer.</summary>
    public int InFlight { get; set; }

    /// <summary>Whether the peer is registered with the picker (metadata known, handshake done, not yet closed).</summary>
    public bool InPicker { get; set; }

    /// <summary>Whether the connection was attached to the torrent (and is counted).</summary>
    public bool Attached { get; set; }

    /// <summary>Whether the wire closed and the connection was detached.</summary>
    public bool Detached { get; set; }

    /// <summary>Whether we decided to unchoke the peer (the choker's view; the wire follows).</summary>
    public bool Unchoked { get; set; }

    /// <summary>Whether the peer was banned (its wire is closing).</summary>
    public bool Banned { get; set; }

    /// <summary>Whether we sent the peer our pieces (bitfield, have all or have none).</summary>
    public bool Announced { get; set; }

    /// <summary>Whether the peer may have pieces we want (kept up to date cheaply; confirmed by the picker).</summary>
    public bool WantsPieces { get; set; }

    /// <summary>Endpoints told to this peer by PEX so far.</summary>
    public HashSet<IPEndPoint> PexAdvertised { get; } = [];

    /// <summary>Requests from the peer waiting to be served.</summary>
    public Channel<Protocol.BlockRequest> Uploads { get; }

    public ChannelReader<bool> WakeReader => _wake.Reader;

    public void Wake() => _wake.Writer.TryWrite(true);

    public void Close() => _wake.Writer.TryComplete();

    /// <summary>A token that <see cref="CancelRequest"/> cancels (end game); return it with <see cref="EndRequest"/>.</summary>
    public CancellationToken BeginRequest(int piece, int offset)
    {
        lock (_inFlight)
        {
            var cts = _freeTokens.Count > 0 ? _freeTokens.Pop() : new CancellationTokenSource();
            _inFlight[(piece, offset)] = cts;
            return cts.Token;
        }
    }

    public void EndRequest(int piece, int offset)
    {
        lock (_inFlight)
        {
            if (!_inFlight.Remove((piece, offset), out var cts)) return;
            if (cts.TryReset()) _freeTokens.Push(cts);
            else cts.Dispose();
        }
    }

    /// <summary>Cancels our request of a block (another peer delivered it, or it timed out): the wire sends <c>cancel</c>.</summary>
    public void CancelRequest(int piece, int offset)
    {
        // Under the lock, so the source cannot be reset and handed to another request meanwhile.
        lock (_inFlight)
        {
            if (_inFlight.TryGetValue((piece, offset), out var cts)) cts.Cancel();
        }
    }
}
