namespace MagnetUri;

/// <summary>What a magnet link parameter means, from its key (numbered keys such as <c>tr.1</c> count as their base key).</summary>
public enum MagnetParameterKind
{
    /// <summary>A key this library does not interpret; kept in <see cref="MagnetLink.Extra"/>.</summary>
    Unknown = 0,

    /// <summary><c>xt</c>: exact topic (<c>urn:btih:</c>, <c>urn:btmh:</c> or another URN).</summary>
    ExactTopic,

    /// <summary><c>dn</c>: display name.</summary>
    DisplayName,

    /// <summary><c>xl</c>: exact length in bytes.</summary>
    ExactLength,

    /// <summary><c>tr</c>: tracker URL.</summary>
    Tracker,

    /// <summary><c>ws</c>: web seed URL (BEP 19).</summary>
    WebSeed,

    /// <summary><c>as</c>: acceptable source (a direct download URL).</summary>
    AcceptableSource,

    /// <summary><c>xs</c>: exact source (a URL, or <c>urn:btpk:</c> for BEP 46).</summary>
    ExactSource,

    /// <summary><c>kt</c>: keywords joined by <c>+</c>.</summary>
    Keywords,

    /// <summary><c>x.pe</c>: a peer address <c>host:port</c> (BEP 9).</summary>
    PeerAddress,

    /// <summary><c>so</c>: select-only file index ranges (BEP 53).</summary>
    SelectOnly,
}
