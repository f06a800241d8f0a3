#pragma warning disable CA5350 // BitTorrent v1 is SHA-1.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Bencode;
using WebTorrent.Protocol;

namespace WebTorrent.Interop.Tests.Protocol;

/// <summary>Shared pieces of the protocol interop tests: a generated torrent, and our wire as downloader or seeder.</summary>
internal static class ProtocolInterop
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    public static readonly byte[] OurPeerId = "-WN0001-interop12345"u8.ToArray();

    public sealed class GeneratedTorrent
    {
        public GeneratedTorrent(int length, int pieceLength, int seed = 42)
        {
            Content = new byte[length];
            new Random(seed).NextBytes(Content);
            Layout = new PieceLayout(length, pieceLength);
            Metadata = new BencodeDictionary
            {
                ["length"] = length,
                ["name"] = "protocol-interop.bin",
                ["piece length"] = pieceLength,
                ["pieces"] = Enumerable.Range(0, Layout.PieceCount).SelectMany(i => SHA1.HashData(Content.AsSpan(i * pieceLength, Layout.GetPieceLength(i)))).ToArray(),
            }.ToArray();
            InfoHash = SHA1.HashData(Metadata);
        }

        public byte[] Content { get; }
        public PieceLayout Layout { get; }
        public byte[] Metadata { get; }
        public byte[] InfoHash { get; }
    }

    public static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    /// <summary>Connects to a seeder knowing only the info-hash: handshake, extended handshake, ut_metadata, then every block of every piece, each piece checked against the metadata's SHA-1.</summary>
    public static async Task<PeerWire> DownloadAllFromAsync(int port, byte[] infoHash, int? onlyPieces = null)
    {
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Wait);
        return await DownloadAllOverAsync(client.GetStream(), infoHash, onlyPieces);
    }

    /// <summary>As <see cref="DownloadAllFromAsync"/>, over an open byte stream to the seeder (a TCP stream, a WebRTC data channel).</summary>
    public static async Task<PeerWire> DownloadAllOverAsync(Stream stream, byte[] infoHash, int? onlyPieces = null)
    {
        var wire = PeerWire.Create(stream, new PeerWireOptions { RequestTimeout = TimeSpan.FromSeconds(30) });
        var metadataExtension = wire.Use(new UtMetadataExtension(infoHash));
        var extended = new TaskCompletionSource<ExtendedHandshake>(TaskCreationOptions.RunContinuationsAsynchronously);
        wire.ExtendedHandshakeReceived += (_, h) => extended.TrySetResult(h);
        var unchoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        wire.Unchoked += (_, _) => unchoked.TrySetResult();
        var remote = await wire.HandshakeAsync(infoHash, OurPeerId).WaitAsync(Wait);
        Assert.Equal(infoHash, remote.InfoHash.ToArray());
        Assert.True(remote.SupportsExtensionProtocol, "the seeder does not speak BEP 10");
        await wire.SendHaveNoneAsync();
        var handshake = await extended.Task.WaitAsync(Wait);
        Assert.True(handshake.Extensions.ContainsKey("ut_metadata"), "no ut_metadata in the seeder's extended handshake");
        Assert.NotNull(handshake.MetadataSize);

        var metadata = await metadataExtension.FetchAsync().WaitAsync(Wait);
        Assert.Equal(infoHash, SHA1.HashData(metadata.Span));
        var info = BencodeSerializer.DecodeDictionary(metadata, BencodeReaderOptions.Lenient);
        var layout = new PieceLayout(info.GetInt64("length")!.Value, (int)info.GetInt64("piece length")!.Value);
        var hashes = info.GetBytes("pieces")!.Value;
        wire.SetPieceLayout(layout);

        await wire.SendInterestedAsync();
        try
        {
            await unchoked.Task.WaitAsync(Wait);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Not unchoked: closed {wire.IsClosed} ({wire.CloseReason}: {wire.CloseError?.Message}), peer choking {wire.PeerChoking}, received {wire.BytesReceived}, sent {wire.BytesSent}", ex);
        }
        var pieces = Math.Min(onlyPieces ?? layout.PieceCount, layout.PieceCount);
        for (var piece = 0; piece < pieces; piece++)
        {
            Assert.True(wire.PeerPieces.Has(piece), $"the seeder does not announce piece {piece}");
            var length = layout.GetPieceLength(piece);
            var buffer = new byte[length];
            var blocks = new List<Task>();
            for (var begin = 0; begin < length; begin += 16384)
                blocks.Add(wire.RequestBlockAsync(piece, begin, buffer.AsMemory(begin, Math.Min(16384, length - begin))).AsTask());
            await Task.WhenAll(blocks).WaitAsync(Wait);
            Assert.True(SHA1.HashData(buffer).AsSpan().SequenceEqual(hashes.Span.Slice(piece * 20, 20)), $"piece {piece} fails its SHA-1");
        }
        return wire;
    }

    /// <summary>Serves <paramref name="torrent"/> (metadata and blocks) to whoever connects to <paramref name="listener"/>.</summary>
    public static async Task ServeAsync(TcpListener listener, GeneratedTorrent torrent, List<PeerWire> wires, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            client.NoDelay = true;
            var wire = PeerWire.Create(client.GetStream(), layout: torrent.Layout);
            lock (wires) wires.Add(wire);
            wire.Use(new UtMetadataExtension(torrent.InfoHash, torrent.Metadata));
            wire.Interested += (_, _) => _ = wire.SendUnchokeAsync().AsTask();
            wire.RequestReceived += (_, r) =>
                _ = wire.SendPieceAsync(r.Index, r.Begin, torrent.Content.AsMemory((r.Index * torrent.Layout.PieceLength) + r.Begin, r.Length)).AsTask();
            _ = Task.Run(async () =>
            {
                try
                {
                    var remote = await wire.ReceiveHandshakeAsync(cancellationToken);
                    Assert.Equal(torrent.InfoHash, remote.InfoHash.ToArray());
                    await wire.SendHandshakeAsync(torrent.InfoHash, OurPeerId, cancellationToken);
                    await wire.SendHaveAllAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                    wire.Abort(ex);
                }
            }, cancellationToken);
        }
    }

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "wt-protocol-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
