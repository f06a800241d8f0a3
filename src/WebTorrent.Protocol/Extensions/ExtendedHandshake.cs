using System.Buffers;
using Bencode;

namespace WebTorrent.Protocol;

/// <summary>A BEP 10 extended handshake as received: the extensions the peer offers (<c>m</c>) and its well-known fields.</summary>
public sealed class ExtendedHandshake
{
    private ExtendedHandshake(BencodeDictionary dictionary, IReadOnlyDictionary<string, byte> extensions)
    {
        Dictionary = dictionary;
        Extensions = extensions;
        ClientVersion = dictionary.Get<BencodeString>("v")?.ToString();
        ListenPort = dictionary.GetInt64("p") is long p and > 0 and <= 65535 ? (int)p : null;
        RequestQueueLength = dictionary.GetInt64("reqq") is long q and > 0 ? (int)Math.Min(q, int.MaxValue) : null;
        YourIp = dictionary.GetBytes("yourip") is { Length: 4 or 16 } ip ? ip : null;
        MetadataSize = dictionary.GetInt64("metadata_size") is long m and > 0 ? m : null;
    }

    /// <summary>Extension name to the id the peer wants for it (<c>m</c>); disabled ones (id 0) are absent.</summary>
    public IReadOnlyDictionary<string, byte> Extensions { get; }

    /// <summary>The peer's client name and version (<c>v</c>).</summary>
    public string? ClientVersion { get; }

    /// <summary>The peer's TCP listen port (<c>p</c>).</summary>
    public int? ListenPort { get; }

    /// <summary>How many outstanding requests the peer queues (<c>reqq</c>).</summary>
    public int? RequestQueueLength { get; }

    /// <summary>Our address as the peer sees it (<c>yourip</c>, 4 or 16 bytes).</summary>
    public ReadOnlyMemory<byte>? YourIp { get; }

    /// <summary>Size of the info dictionary the peer can serve (<c>metadata_size</c>, BEP 9).</summary>
    public long? MetadataSize { get; }

    /// <summary>The whole dictionary, for fields of custom extensions.</summary>
    public BencodeDictionary Dictionary { get; }

    /// <summary>
    /// Parses an extended handshake payload (after the extended id). BEP 10 lets a later handshake update only some
    /// mappings (a 0 removes one): the names of <paramref name="previous"/> listed in <paramref name="carriedOver"/>
    /// (the extensions we registered, the only ones we ever look up) stay unless this handshake changes them; every
    /// other name comes from this handshake alone, so repeated handshakes cannot grow <see cref="Extensions"/>.
    /// </summary>
    /// <param name="payload">The bencoded dictionary.</param>
    /// <param name="previous">The peer's previous handshake, if any.</param>
    /// <param name="carriedOver">Names kept from <paramref name="previous"/>; null keeps none.</param>
    /// <exception cref="ProtocolViolationException">The payload is not a bencoded dictionary.</exception>
    public static ExtendedHandshake Parse(ReadOnlySequence<byte> payload, ExtendedHandshake? previous = null, IReadOnlySet<string>? carriedOver = null)
    {
        BencodeDictionary dictionary;
        try
        {
            dictionary = BencodeSerializer.DecodeDictionary(payload.ToArray(), BencodeReaderOptions.Lenient with { MaxDepth = 16 });
        }
        catch (BencodeException ex)
        {
            throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "Malformed extended handshake: " + ex.Message, ex);
        }
        var extensions = new Dictionary<string, byte>(StringComparer.Ordinal);
        if (previous is not null && carriedOver is not null)
        {
            foreach (var (name, id) in previous.Extensions)
            {
                if (carriedOver.Contains(name)) extensions[name] = id;
            }
        }
        if (dictionary.Get<BencodeDictionary>("m") is { } m)
        {
            foreach (var (key, value) in m)
            {
                if (value is not BencodeInteger id || id.Value is < 0 or > 255) continue;
                var name = key.ToString();
                if (id.Value == 0) extensions.Remove(name);
                else extensions[name] = (byte)id.Value;
            }
        }
        return new ExtendedHandshake(dictionary, extensions);
    }
}
