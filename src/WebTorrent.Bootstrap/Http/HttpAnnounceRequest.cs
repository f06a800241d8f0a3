using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.Http;

/// <summary>An HTTP tracker announce (BEP 3) or scrape (BEP 48) query, parsed from the raw query string (ids are binary, percent-encoded).</summary>
internal struct HttpTrackerQuery
{
    public Id20 InfoHash;
    public bool HasInfoHash;
    public Id20 PeerId;
    public bool HasPeerId;
    public int Port;
    public long Left;
    public bool HasLeft;
    public AnnounceEvent Event;
    public int NumWant;
    public bool Compact;
    public bool NoPeerId;

    /// <summary>Parses an announce query (leading '?' allowed). Scrapes use <see cref="ParseScrape"/>.</summary>
    public static HttpTrackerQuery ParseAnnounce(ReadOnlySpan<char> query)
    {
        var result = new HttpTrackerQuery { NumWant = -1, Compact = true, Port = -1 };
        if (query.StartsWith('?')) query = query[1..];
        Span<byte> value = stackalloc byte[64];
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var eq = pair.IndexOf('=');
            if (eq < 0) continue;
            var name = pair[..eq];
            var raw = pair[(eq + 1)..];
            if (name.SequenceEqual("info_hash"))
            {
                result.InfoHash = DecodeId(raw, "info_hash");
                result.HasInfoHash = true;
            }
            else if (name.SequenceEqual("peer_id"))
            {
                result.PeerId = DecodeId(raw, "peer_id");
                result.HasPeerId = true;
            }
            else if (name.SequenceEqual("port"))
            {
                if (!int.TryParse(raw, System.Globalization.NumberStyles.None, null, out result.Port) || result.Port is < 1 or > 65535)
                    throw new WebSockets.TrackerRequestException("invalid port");
            }
            else if (name.SequenceEqual("left"))
            {
                result.HasLeft = long.TryParse(raw, System.Globalization.NumberStyles.None, null, out result.Left);
            }
            else if (name.SequenceEqual("numwant"))
            {
                if (!int.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, null, out result.NumWant)) result.NumWant = -1;
            }
            else if (name.SequenceEqual("compact"))
            {
                result.Compact = !raw.SequenceEqual("0");
            }
            else if (name.SequenceEqual("no_peer_id"))
            {
                result.NoPeerId = raw.SequenceEqual("1");
            }
            else if (name.SequenceEqual("event"))
            {
                result.Event = raw switch
                {
                    "started" => AnnounceEvent.Started,
                    "stopped" => AnnounceEvent.Stopped,
                    "completed" => AnnounceEvent.Completed,
                    "" or "empty" or "update" or "paused" => AnnounceEvent.None,
                    _ => throw new WebSockets.TrackerRequestException("invalid event"),
                };
            }
        }
        if (!result.HasInfoHash) throw new WebSockets.TrackerRequestException("invalid info_hash");
        if (!result.HasPeerId) throw new WebSockets.TrackerRequestException("invalid peer_id");
        if (result.Port < 0) throw new WebSockets.TrackerRequestException("invalid port");
        return result;
    }

    /// <summary>Collects the <c>info_hash</c> parameters of a scrape query into <paramref name="destination"/>.</summary>
    public static int ParseScrape(ReadOnlySpan<char> query, Span<Id20> destination)
    {
        if (query.StartsWith('?')) query = query[1..];
        var count = 0;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (!pair.StartsWith("info_hash=")) continue;
            if (count == destination.Length) throw new WebSockets.TrackerRequestException("too many info_hash values");
            destination[count++] = DecodeId(pair["info_hash=".Length..], "info_hash");
        }
        return count;
    }

    /// <summary>Percent-decodes exactly 20 bytes (a 40-char hex form is accepted too, as some clients send it).</summary>
    public static Id20 DecodeId(ReadOnlySpan<char> raw, string name)
    {
        Span<byte> bytes = stackalloc byte[Id20.Length];
        var count = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (count == Id20.Length)
            {
                count = -1;
                break;
            }
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !byte.TryParse(raw.Slice(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                    throw new WebSockets.TrackerRequestException($"invalid {name}");
                bytes[count++] = b;
                i += 2;
            }
            else if (c == '+')
            {
                bytes[count++] = (byte)' ';
            }
            else if (c < 0x80)
            {
                bytes[count++] = (byte)c;
            }
            else
            {
                throw new WebSockets.TrackerRequestException($"invalid {name}");
            }
        }
        if (count == Id20.Length) return new Id20(bytes);
        if (raw.Length == 40 && Id20.TryParseHex(raw, out var hex)) return hex;
        throw new WebSockets.TrackerRequestException($"invalid {name}");
    }
}
