using System.Threading.Channels;
using WebTorrent.Discovery;

namespace WebTorrent.Tests.Discovery;

/// <summary>Waiting for a discovery to report a peer (shared with Interop.Tests, which links this file).</summary>
internal static class DiscoveryWait
{
    /// <summary>
    /// Reads peers until one matches, asking the announcer for more peers after every quiet <paramref name="nudgeEvery"/>
    /// (a datagram may be lost, or the other side may have announced after our lookup); fails after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<DiscoveredPeer> ForPeerAsync(ChannelReader<DiscoveredPeer> reader, Func<DiscoveredPeer, bool> match,
        ITorrentAnnouncer announcer, TimeSpan timeout, TimeSpan nudgeEvery)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            round.CancelAfter(nudgeEvery);
            try
            {
                var peer = await reader.ReadAsync(round.Token);
                if (match(peer)) return peer;
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                announcer.RequestMorePeers();
            }
        }
    }
}
