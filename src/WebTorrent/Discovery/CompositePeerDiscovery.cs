using System.Threading.Channels;

namespace WebTorrent.Discovery;

/// <summary>
/// Several peer sources seen as one (the client's TCP discovery and its WebSocket trackers): a torrent registers once and
/// every source announces it. It owns none of them: disposing it disposes nothing, the client disposes what it created.
/// </summary>
internal sealed class CompositePeerDiscovery(IReadOnlyList<IPeerDiscovery> sources) : IPeerDiscovery
{
    /// <inheritdoc/>
    public ITorrentAnnouncer Register(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers)
    {
        var announcers = new List<ITorrentAnnouncer>(sources.Count);
        try
        {
            foreach (var source in sources) announcers.Add(source.Register(target, peers));
        }
        catch
        {
            foreach (var announcer in announcers) _ = announcer.DisposeAsync().AsTask();
            throw;
        }
        return new CompositeAnnouncer(announcers);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class CompositeAnnouncer(IReadOnlyList<ITorrentAnnouncer> announcers) : ITorrentAnnouncer
    {
        public event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed
        {
            add
            {
                foreach (var announcer in announcers) announcer.SourceFailed += value;
            }
            remove
            {
                foreach (var announcer in announcers) announcer.SourceFailed -= value;
            }
        }

        public ValueTask NotifyCompletedAsync(CancellationToken cancellationToken = default) =>
            new(Task.WhenAll(announcers.Select(a => a.NotifyCompletedAsync(cancellationToken).AsTask())));

        public void RequestMorePeers()
        {
            foreach (var announcer in announcers) announcer.RequestMorePeers();
        }

        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(announcers.Select(a => a.DisposeAsync().AsTask())).ConfigureAwait(false);
        }
    }
}
