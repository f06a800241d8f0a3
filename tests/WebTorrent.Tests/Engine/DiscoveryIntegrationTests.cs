using System.Net;
using System.Threading.Channels;
using WebTorrent.Discovery;

namespace WebTorrent.Tests.Engine;

public sealed class DiscoveryIntegrationTests
{
    [Fact]
    public async Task Peers_found_by_discovery_are_dialled_and_the_announcer_hears_completion_and_removal()
    {
        await using var swarm = new Swarm();
        var (path, files) = swarm.WriteContent("disc", 16, ("d.bin", 400_000));
        var options = new WebTorrentClientOptions { ListenAddress = IPAddress.Loopback, ListenPort = 0 };
        var seeder = swarm.Client(options);
        var seed = await seeder.SeedAsync(path, new SeedOptions { PieceLength = 16 * 1024, AnnounceList = [["http://tracker.invalid/announce"]] });
        await using var discovery = new FakeDiscovery();
        var client = swarm.Client(options with { PeerDiscovery = discovery });
        var leech = await client.AddAsync(seed.Metainfo!);
        var registration = Assert.Single(discovery.Registrations);
        Assert.True(registration.Target.InfoHash.Span.SequenceEqual(seed.InfoHash.ToArray()));
        Assert.True(registration.Target.PeerId.Span.SequenceEqual(client.PeerId.Span));
        Assert.Equal(client.ListenEndPoint!.Port, registration.Target.ListenPort);
        Assert.Equal("http://tracker.invalid/announce", Assert.Single(Assert.Single(registration.Target.TrackerTiers)).ToString());
        Assert.Equal(seed.Length, registration.Target.GetTotals().Left);

        await registration.Peers.WriteAsync(new DiscoveredPeer(seeder.ListenEndPoint!, PeerSource.Tracker));
        using var cts = new CancellationTokenSource(Swarm.Timeout);
        await leech.WaitForCompletionAsync(cts.Token);
        Swarm.AssertSameFiles(files, Path.Combine(leech.DownloadFolder, "disc"));
        await registration.Completed.Task.WaitAsync(cts.Token);
        Assert.Equal(0, registration.Target.GetTotals().Left);
        Assert.True(registration.Target.GetTotals().Downloaded >= seed.Length);

        await client.RemoveAsync(leech, cancellationToken: cts.Token);
        await registration.Disposed.Task.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task Without_a_discovery_the_client_creates_the_built_in_one_for_the_enabled_sources()
    {
        var folder = Path.Combine(Path.GetTempPath(), "wt-disc-" + Guid.NewGuid().ToString("N"));
        await using (var client = new WebTorrentClient(new WebTorrentClientOptions
        {
            DownloadFolder = folder, ListenAddress = IPAddress.Loopback, EnableDht = false, EnableLocalDiscovery = false,
        }))
        {
            Assert.Null(client.Discovery);
            await client.StartAsync();
            Assert.IsType<PeerDiscovery>(client.Discovery);
        }
        await using (var client = new WebTorrentClient(new WebTorrentClientOptions
        {
            DownloadFolder = folder, ListenPort = null, EnableDht = false, EnableLocalDiscovery = false, EnableTrackers = false,
        }))
        {
            await client.StartAsync();
            Assert.Null(client.Discovery);
            Assert.Null(client.ListenEndPoint);
        }
        await using var given = new FakeDiscovery();
        await using (var client = new WebTorrentClient(new WebTorrentClientOptions { DownloadFolder = folder, ListenPort = null, PeerDiscovery = given }))
        {
            await client.StartAsync();
            Assert.Same(given, client.Discovery);
        }
    }

    private sealed class FakeDiscovery : IPeerDiscovery
    {
        public List<Registration> Registrations { get; } = [];

        public ITorrentAnnouncer Register(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers)
        {
            var registration = new Registration(target, peers);
            lock (Registrations) Registrations.Add(registration);
            return registration;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Registration(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers) : ITorrentAnnouncer
    {
        public DiscoveryTarget Target { get; } = target;

        public ChannelWriter<DiscoveredPeer> Peers { get; } = peers;

        public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int MoreRequested;

        public event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed;

        public ValueTask NotifyCompletedAsync(CancellationToken cancellationToken = default)
        {
            Completed.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public void RequestMorePeers()
        {
            Interlocked.Increment(ref MoreRequested);
            SourceFailed?.Invoke(this, new PeerDiscoveryErrorEventArgs(PeerSource.Tracker, "none", new IOException("no more")));
        }

        public ValueTask DisposeAsync()
        {
            Disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
