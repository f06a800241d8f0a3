#pragma warning disable CA5350 // BitTorrent v1 is SHA-1.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;
using static WebTorrent.Interop.Tests.Protocol.ProtocolInterop;

namespace WebTorrent.Interop.Tests.Protocol;

/// <summary>Our wire against libtorrent 2.0 (python3-libtorrent, Debian's /usr/bin/python3) over real TCP on 127.0.0.1.</summary>
public class LibtorrentInteropTests
{
    private const string Python = "/usr/bin/python3";

    private static string Script => Path.Combine(RepoPaths.Interop, "protocol-libtorrent.py");

    [Fact]
    public async Task Fetches_metadata_and_downloads_every_block_from_libtorrent()
    {
        Assert.True(File.Exists(Python), "Debian's /usr/bin/python3 with python3-libtorrent is required");
        var dir = TempDirectory();
        try
        {
            await using var seeder = ExternalProcess.Start(Python, [Script, "seed", dir, "0", "300000", "32768"]);
            var ready = Json(await seeder.WaitForLineAsync("{\"event\": \"seeding\"", Wait));
            var infoHash = Convert.FromHexString(ready.GetProperty("info_hash").GetString()!);
            PeerWire wire;
            try
            {
                wire = await DownloadAllFromAsync(ready.GetProperty("port").GetInt32(), infoHash);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException("libtorrent said:\n" + seeder.StandardOutput + seeder.StandardError, ex);
            }
            Assert.Equal(300000, wire.Downloaded);
            Assert.Contains("libtorrent", wire.RemoteExtendedHandshake!.ClientVersion ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.True(wire.FastExtensionEnabled, "libtorrent offers the fast extension");
            await wire.CloseAsync();
            Assert.Equal(PeerWireCloseReason.Local, wire.CloseReason);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Libtorrent_fetches_metadata_and_downloads_every_piece_from_our_wire()
    {
        Assert.True(File.Exists(Python), "Debian's /usr/bin/python3 with python3-libtorrent is required");
        var torrent = new GeneratedTorrent(300_000, 32768);
        var dir = TempDirectory();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource();
        var wires = new List<PeerWire>();
        try
        {
            var serving = ServeAsync(listener, torrent, wires, cts.Token);
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var leecher = ExternalProcess.Start(Python, [Script, "leech", dir, "0", Convert.ToHexStringLower(torrent.InfoHash), port.ToString()]);
            var finished = Json(await leecher.WaitForLineAsync(l => l.Contains("\"finished\"") || l.Contains("\"hash_failed\""), Wait));
            Assert.Equal("finished", finished.GetProperty("event").GetString());
            Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(torrent.Content)), finished.GetProperty("sha1").GetString());
            Assert.Contains("\"metadata\"", leecher.StandardOutput);
            Assert.DoesNotContain("hash_failed", leecher.StandardOutput);
            PeerWire[] all;
            lock (wires) all = [.. wires];
            Assert.Equal(torrent.Content.Length, all.Sum(w => w.Uploaded));
        }
        finally
        {
            cts.Cancel();
            listener.Stop();
            foreach (var wire in wires) await wire.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }
}
