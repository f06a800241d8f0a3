namespace WebTorrent.Dht.Krpc;

/// <summary>The three kinds of KRPC message (the <c>y</c> key).</summary>
public enum KrpcMessageType : byte
{
    /// <summary><c>y=q</c>: a query.</summary>
    Query,

    /// <summary><c>y=r</c>: a response.</summary>
    Response,

    /// <summary><c>y=e</c>: an error.</summary>
    Error,
}

/// <summary>The queries this node knows (the <c>q</c> key); anything else is <see cref="Unknown"/>.</summary>
public enum KrpcQueryType : byte
{
    /// <summary>A query method we do not implement (answered with error 204).</summary>
    Unknown,

    /// <summary>BEP 5 ping.</summary>
    Ping,

    /// <summary>BEP 5 find_node.</summary>
    FindNode,

    /// <summary>BEP 5 get_peers.</summary>
    GetPeers,

    /// <summary>BEP 5 announce_peer.</summary>
    AnnouncePeer,

    /// <summary>BEP 44 get.</summary>
    Get,

    /// <summary>BEP 44 put.</summary>
    Put,
}

/// <summary>BEP 32 <c>want</c> flags: which address families of nodes the querier wants back.</summary>
[Flags]
public enum KrpcWant : byte
{
    /// <summary>Not given: the family the query came over.</summary>
    None = 0,

    /// <summary><c>n4</c>: IPv4 nodes.</summary>
    Nodes4 = 1,

    /// <summary><c>n6</c>: IPv6 nodes.</summary>
    Nodes6 = 2,
}

/// <summary>Standard KRPC error codes (BEP 5, BEP 44).</summary>
public static class KrpcErrorCode
{
    /// <summary>201 Generic error.</summary>
    public const int Generic = 201;

    /// <summary>202 Server error.</summary>
    public const int Server = 202;

    /// <summary>203 Protocol error: malformed packet, invalid arguments or bad token.</summary>
    public const int Protocol = 203;

    /// <summary>204 Method unknown.</summary>
    public const int MethodUnknown = 204;

    /// <summary>205 BEP 44: message (v) too big.</summary>
    public const int MessageTooBig = 205;

    /// <summary>206 BEP 44: invalid signature.</summary>
    public const int InvalidSignature = 206;

    /// <summary>207 BEP 44: salt too big.</summary>
    public const int SaltTooBig = 207;

    /// <summary>301 BEP 44: CAS mismatch.</summary>
    public const int CasMismatch = 301;

    /// <summary>302 BEP 44: sequence number less than current.</summary>
    public const int SequenceTooOld = 302;
}

/// <summary>
/// One KRPC message as parsed by <see cref="KrpcParser"/>: every field is a slice of the datagram (nothing copied),
/// so it lives only as long as the datagram buffer. Absent fields are empty spans / false flags.
/// </summary>
public ref struct KrpcMessage
{
    /// <summary>Query, response or error.</summary>
    public KrpcMessageType Type { get; set; }

    /// <summary>The transaction id (<c>t</c>), echoed in the answer.</summary>
    public ReadOnlySpan<byte> TransactionId { get; set; }

    /// <summary>The method of a query.</summary>
    public KrpcQueryType Query { get; set; }

    /// <summary>The raw method name of a query (<c>q</c>).</summary>
    public ReadOnlySpan<byte> QueryName { get; set; }

    /// <summary>The sender's client version (<c>v</c>, top level), if any.</summary>
    public ReadOnlySpan<byte> ClientVersion { get; set; }

    /// <summary>BEP 42: our address as the responder sees it (<c>ip</c>, compact 6 or 18 bytes).</summary>
    public ReadOnlySpan<byte> ExternalAddress { get; set; }

    /// <summary>BEP 43: the sender is read-only (<c>ro=1</c>) and must not be added to routing tables.</summary>
    public bool ReadOnlyNode { get; set; }

    /// <summary>The sender's node id (<c>id</c> in <c>a</c> or <c>r</c>); 20 bytes when valid.</summary>
    public ReadOnlySpan<byte> Id { get; set; }

    /// <summary>find_node / get target.</summary>
    public ReadOnlySpan<byte> Target { get; set; }

    /// <summary>get_peers / announce_peer info-hash.</summary>
    public ReadOnlySpan<byte> InfoHash { get; set; }

    /// <summary>Write token (announce_peer, put, and in get_peers/get responses).</summary>
    public ReadOnlySpan<byte> Token { get; set; }

    /// <summary>Compact IPv4 node infos (26 bytes each).</summary>
    public ReadOnlySpan<byte> Nodes { get; set; }

    /// <summary>Compact IPv6 node infos (38 bytes each), BEP 32.</summary>
    public ReadOnlySpan<byte> Nodes6 { get; set; }

    /// <summary>The raw bencoded <c>values</c> list of compact peers; enumerate with <see cref="KrpcParser.EnumerateStrings"/>.</summary>
    public ReadOnlySpan<byte> Values { get; set; }

    /// <summary>announce_peer port.</summary>
    public long Port { get; set; }

    /// <summary>True when <see cref="Port"/> was present.</summary>
    public bool HasPort { get; set; }

    /// <summary>announce_peer implied_port=1: use the query's source port.</summary>
    public bool ImpliedPort { get; set; }

    /// <summary>BEP 32 want flags.</summary>
    public KrpcWant Want { get; set; }

    /// <summary>BEP 33 scrape=1 in get_peers.</summary>
    public bool Scrape { get; set; }

    /// <summary>BEP 33 noseed=1 in get_peers.</summary>
    public bool NoSeed { get; set; }

    /// <summary>BEP 33 seed=1 in announce_peer.</summary>
    public bool Seed { get; set; }

    /// <summary>BEP 33 seeds bloom filter (256 bytes).</summary>
    public ReadOnlySpan<byte> BloomSeeds { get; set; }

    /// <summary>BEP 33 peers bloom filter (256 bytes).</summary>
    public ReadOnlySpan<byte> BloomPeers { get; set; }

    /// <summary>BEP 44: the raw bencoded value <c>v</c>.</summary>
    public ReadOnlySpan<byte> Value { get; set; }

    /// <summary>BEP 44: ed25519 public key (32 bytes).</summary>
    public ReadOnlySpan<byte> PublicKey { get; set; }

    /// <summary>BEP 44: ed25519 signature (64 bytes).</summary>
    public ReadOnlySpan<byte> Signature { get; set; }

    /// <summary>BEP 44: salt.</summary>
    public ReadOnlySpan<byte> Salt { get; set; }

    /// <summary>BEP 44: sequence number.</summary>
    public long Sequence { get; set; }

    /// <summary>True when <see cref="Sequence"/> was present.</summary>
    public bool HasSequence { get; set; }

    /// <summary>BEP 44: compare-and-swap sequence number.</summary>
    public long CompareAndSwap { get; set; }

    /// <summary>True when <see cref="CompareAndSwap"/> was present.</summary>
    public bool HasCompareAndSwap { get; set; }

    /// <summary>Error code of an error message.</summary>
    public long ErrorCode { get; set; }

    /// <summary>Error text of an error message.</summary>
    public ReadOnlySpan<byte> ErrorMessage { get; set; }
}
