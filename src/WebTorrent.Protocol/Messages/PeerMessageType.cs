namespace WebTorrent.Protocol;

/// <summary>Peer wire message ids (BEP 3, BEP 6 fast extension, BEP 10 extended) plus a pseudo id for keep-alive.</summary>
public enum PeerMessageType : byte
{
    /// <summary>BEP 3 choke.</summary>
    Choke = 0,
    /// <summary>BEP 3 unchoke.</summary>
    Unchoke = 1,
    /// <summary>BEP 3 interested.</summary>
    Interested = 2,
    /// <summary>BEP 3 not interested.</summary>
    NotInterested = 3,
    /// <summary>BEP 3 have (piece index).</summary>
    Have = 4,
    /// <summary>BEP 3 bitfield.</summary>
    Bitfield = 5,
    /// <summary>BEP 3 request (index, begin, length).</summary>
    Request = 6,
    /// <summary>BEP 3 piece (index, begin, block).</summary>
    Piece = 7,
    /// <summary>BEP 3 cancel (index, begin, length).</summary>
    Cancel = 8,
    /// <summary>BEP 5 port (DHT listen port).</summary>
    Port = 9,
    /// <summary>BEP 6 suggest piece.</summary>
    Suggest = 13,
    /// <summary>BEP 6 have all.</summary>
    HaveAll = 14,
    /// <summary>BEP 6 have none.</summary>
    HaveNone = 15,
    /// <summary>BEP 6 reject request.</summary>
    Reject = 16,
    /// <summary>BEP 6 allowed fast.</summary>
    AllowedFast = 17,
    /// <summary>BEP 10 extended message (extended id, payload).</summary>
    Extended = 20,
    /// <summary>Keep-alive: a zero length prefix, no id on the wire.</summary>
    KeepAlive = 255,
}
