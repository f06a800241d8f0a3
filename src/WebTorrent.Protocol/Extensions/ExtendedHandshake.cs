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

    /// <summary>Parses an extended handshake payload (after the extended id), merging <c>m</c> over <paramref name="previous"/>.</summary>
    /// <exception cref="ProtocolViolationException">The payload is not a bencoded dictionary.</exception>
    public static ExtendedHandshake Parse(ReadOnlySequence<byte> payload, ExtendedHandshake? previous = null)
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
        var extensions = previous is null ? new Dictionary<string, byte>(StringComparer.Ordinal) : new Dictionary<string, byte>(previous.Extensions, StringComparer.Ordinal);
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
