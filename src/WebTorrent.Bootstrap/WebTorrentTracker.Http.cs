using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Bencode;
using WebTorrent.Bootstrap.Http;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap;

public sealed partial class WebTorrentTracker
{
    /// <summary>Serves one HTTP announce; writes the bencoded response (success or <c>failure reason</c>) to <paramref name="output"/>.</summary>
    internal void HttpAnnounce(ReadOnlySpan<char> query, IPAddress remoteAddress, IBufferWriter<byte> output)
    {
        HttpTrackerQuery request;
        try
        {
            request = HttpTrackerQuery.ParseAnnounce(query);
        }
        catch (TrackerRequestException e)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            WriteBencodeFailure(output, e.Message);
            return;
        }
        Interlocked.Increment(ref Counters.Announces);

        Span<byte> address = stackalloc byte[16];
        var addressLength = AddressBytes(remoteAddress, address);
        var refusal = SwarmRefusal.None;
        var swarm = request.Event == AnnounceEvent.Stopped
            ? (Swarms.TryGet(request.InfoHash, out var existing) ? existing : null)
            : Swarms.GetOrCreate(request.InfoHash, AddressKey.From(address[..addressLength]), out refusal);
        if (swarm is null && request.Event != AnnounceEvent.Stopped)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            WriteBencodeFailure(output, SwarmRefusalReason(refusal));
            return;
        }

        var want = request.NumWant < 0 ? Options.DefaultNumWant : Math.Min(request.NumWant, Options.MaxPeersPerAnnounce);
        var peers = ArrayPool<PeerEntry?>.Shared.Rent(Math.Max(want, 1));
        try
        {
            var count = 0;
            var outcome = AnnounceOutcome.Accepted;
            var counts = swarm?.AnnounceEndpoint(request.PeerId, address[..addressLength], remoteAddress.IsIPv4MappedToIPv6 ? null : remoteAddress,
                request.Port, request.Event, request.HasLeft ? request.Left == 0 : null, Now, peers.AsSpan(0, want), out count, out outcome) ?? default;
            if (outcome != AnnounceOutcome.Accepted)
            {
                Interlocked.Increment(ref Counters.RejectedMessages);
                WriteBencodeFailure(output, AnnounceRefusalReason(outcome));
                return;
            }

            var writer = new BencodeWriter(output);
            writer.WriteDictionaryStart();
            writer.WriteInteger("complete"u8, counts.Complete);
            writer.WriteInteger("downloaded"u8, counts.Downloaded);
            writer.WriteInteger("incomplete"u8, counts.Incomplete);
            writer.WriteInteger("interval"u8, (long)Options.AnnounceInterval.TotalSeconds);
            writer.WriteInteger("min interval"u8, (long)Options.MinAnnounceInterval.TotalSeconds);
            if (request.Compact)
            {
                writer.WriteString("peers"u8);
                WriteCompact(ref writer, peers.AsSpan(0, count), AddressFamily.InterNetwork, 6);
                writer.WriteString("peers6"u8);
                WriteCompact(ref writer, peers.AsSpan(0, count), AddressFamily.InterNetworkV6, 18);
            }
            else
            {
                writer.WriteString("peers"u8);
                writer.WriteListStart();
                Span<byte> peerId = stackalloc byte[Id20.Length];
                for (var i = 0; i < count; i++)
                {
                    var peer = peers[i]!;
                    writer.WriteDictionaryStart();
                    writer.WriteString("ip"u8);
                    writer.WriteString(peer.Address!.ToString());
                    if (!request.NoPeerId)
                    {
                        peer.PeerId.CopyTo(peerId);
                        writer.WriteString("peer id"u8, peerId);
                    }
                    writer.WriteInteger("port"u8, peer.Port);
                    writer.WriteEnd();
                }
                writer.WriteEnd();
            }
            writer.WriteEnd();
        }
        finally
        {
            ArrayPool<PeerEntry?>.Shared.Return(peers, clearArray: true);
        }
    }

    /// <summary>Serves one HTTP scrape (BEP 48).</summary>
    internal void HttpScrape(ReadOnlySpan<char> query, IBufferWriter<byte> output)
    {
        var infoHashes = ArrayPool<Id20>.Shared.Rent(Options.MaxScrapeInfoHashes);
        try
        {
            int count;
            try
            {
                count = HttpTrackerQuery.ParseScrape(query, infoHashes.AsSpan(0, Options.MaxScrapeInfoHashes));
            }
            catch (TrackerRequestException e)
            {
                Interlocked.Increment(ref Counters.RejectedMessages);
                WriteBencodeFailure(output, e.Message);
                return;
            }
            if (count == 0 && !Options.EnableFullScrape)
            {
                Interlocked.Increment(ref Counters.RejectedMessages);
                WriteBencodeFailure(output, "full scrape is disabled: give info_hash");
                return;
            }
            Interlocked.Increment(ref Counters.Scrapes);
            if (count == 0)
            {
                foreach (var swarm in Swarms.Swarms)
                {
                    if (count == Options.MaxScrapeInfoHashes) break;
                    infoHashes[count++] = swarm.InfoHash;
                }
            }
            // Bencoded dictionary keys must be sorted: sort the binary info-hashes.
            var sorted = new byte[count][];
            for (var i = 0; i < count; i++)
            {
                sorted[i] = new byte[Id20.Length];
                infoHashes[i].CopyTo(sorted[i]);
            }
            Array.Sort(sorted, static (a, b) => a.AsSpan().SequenceCompareTo(b));
            var writer = new BencodeWriter(output);
            writer.WriteDictionaryStart();
            writer.WriteString("files"u8);
            writer.WriteDictionaryStart();
            byte[]? previous = null;
            foreach (var key in sorted)
            {
                if (previous is not null && previous.AsSpan().SequenceEqual(key)) continue;
                previous = key;
                var counts = Swarms.TryGet(new Id20(key), out var swarm) ? swarm.Counts : default;
                writer.WriteString(key);
                writer.WriteDictionaryStart();
                writer.WriteInteger("complete"u8, counts.Complete);
                writer.WriteInteger("downloaded"u8, counts.Downloaded);
                writer.WriteInteger("incomplete"u8, counts.Incomplete);
                writer.WriteEnd();
            }
            writer.WriteEnd();
            writer.WriteEnd();
        }
        finally
        {
            ArrayPool<Id20>.Shared.Return(infoHashes);
        }
    }

    private static void WriteCompact(ref BencodeWriter writer, ReadOnlySpan<PeerEntry?> peers, AddressFamily family, int size)
    {
        var length = 0;
        foreach (var peer in peers) if (peer!.Address!.AddressFamily == family) length += size;
        var bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var offset = 0;
        foreach (var peer in peers)
        {
            if (peer!.Address!.AddressFamily != family) continue;
            peer.Address.TryWriteBytes(bytes[offset..], out var written);
            bytes[offset + written] = (byte)(peer.Port >> 8);
            bytes[offset + written + 1] = (byte)peer.Port;
            offset += size;
        }
        writer.WriteString(bytes);
    }

    internal static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Writes the address's bytes (an IPv4-mapped IPv6 address as its 4 IPv4 bytes); returns 4 or 16.</summary>
    internal static int AddressBytes(IPAddress address, Span<byte> destination)
    {
        address.TryWriteBytes(destination, out var length);
        return NormalizeAddressBytes(destination, length);
    }

    /// <summary>Moves an IPv4-mapped IPv6 address (::ffff:a.b.c.d) to its 4 IPv4 bytes in place; returns the length.</summary>
    internal static int NormalizeAddressBytes(Span<byte> address, int length)
    {
        if (length == 16 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF)
        {
            address[12..16].CopyTo(address);
            return 4;
        }
        return length;
    }

    private static void WriteBencodeFailure(IBufferWriter<byte> output, string reason)
    {
        var writer = new BencodeWriter(output);
        writer.WriteDictionaryStart();
        writer.WriteString("failure reason"u8);
        writer.WriteString(reason);
        writer.WriteEnd();
    }
}
