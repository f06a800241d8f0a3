#pragma warning disable CA5350 // BitTorrent v1 is SHA-1.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;
using static WebTorrent.Interop.Tests.Protocol.ProtocolInterop;

namespace WebTorrent.Interop.Tests.Protocol;

/// <summary>Our wire against npm bittorrent-protocol 5 + ut_metadata (what WebTorrent runs) over real TCP on 127.0.0.1.</summary>
public class NodeBittorrentProtocolInteropTests
{
    [Fact]
    public async Task Fetches_metadata_and_downloads_every_block_from_bittorrent_protocol()
    {
        await using var seeder = ExternalProcess.StartNode("protocol-node.mjs", "seed", "200000", "32768");
        var ready = Json(await seeder.WaitForLineAsync("{\"event\":\"listening\"", Wait));
        var infoHash = Convert.FromHexString(ready.GetProperty("info_hash").GetString()!);
        PeerWire wire;
        try
        {
            wire = await DownloadAllFromAsync(ready.GetProperty("port").GetInt32(), infoHash);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException("bittorrent-protocol said:\n" + seeder.StandardOutput + seeder.StandardError, ex);
        }
        Assert.Equal(200000, wire.Downloaded);
        Assert.True(wire.FastExtensionEnabled, "bittorrent-protocol offers the fast extension");
        var extended = Json(await seeder.WaitForLineAsync("{\"event\":\"extended\"", Wait));
        Assert.StartsWith("WebTorrent.NET", extended.GetProperty("v").GetString());
        await wire.CloseAsync();
        var closed = Json(await seeder.WaitForLineAsync("{\"event\":\"closed\"", Wait));
        Assert.Equal(200000, closed.GetProperty("uploaded").GetInt32());
    }

    [Fact]
    public async Task Bittorrent_protocol_fetches_metadata_and_downloads_every_piece_from_our_wire()
    {
        var torrent = new GeneratedTorrent(200_000, 32768);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource();
        var wires = new List<PeerWire>();
        try
        {
            var serving = ServeAsync(listener, torrent, wires, cts.Token);
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var leecher = ExternalProcess.StartNode("protocol-node.mjs", "leech", port.ToString(), Convert.ToHexStringLower(torrent.InfoHash));
            var finished = Json(await leecher.WaitForLineAsync(l => l.Contains("\"finished\"") || l.Contains("\"error\""), Wait));
            Assert.True(finished.GetProperty("event").GetString() == "finished", leecher.StandardOutput + leecher.StandardError);
            Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(torrent.Content)), finished.GetProperty("sha1").GetString());
            Assert.Contains("\"metadata\"", leecher.StandardOutput);
            Assert.DoesNotContain("\"ok\":false", leecher.StandardOutput);
            Assert.Equal(torrent.Layout.PieceCount, leecher.StandardOutput.Split('\n').Count(l => l.Contains("\"piece\"")));
            PeerWire[] all;
            lock (wires) all = [.. wires];
            Assert.Equal(torrent.Content.Length, all.Sum(w => w.Uploaded));
        }
        finally
        {
            cts.Cancel();
            listener.Stop();
            foreach (var wire in wires) await wire.DisposeAsync();
        }
    }
}
