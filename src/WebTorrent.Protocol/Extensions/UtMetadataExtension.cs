using System.Buffers;
using System.Security.Cryptography;
using Bencode;

namespace WebTorrent.Protocol;

/// <summary>
/// BEP 9 ut_metadata: fetches the info dictionary from a peer knowing only the info-hash (verified with SHA-1), and
/// serves ours when we have it. Register it on the wire with <see cref="PeerWire.Use"/> before the handshake.
/// </summary>
public sealed class UtMetadataExtension : PeerExtension
{
    /// <summary>The extension's name in the <c>m</c> dictionary.</summary>
    public const string ExtensionName = "ut_metadata";

    /// <summary>Metadata travels in pieces of 16 KiB.</summary>
    public const int PieceLength = 16 * 1024;

    private readonly byte[] _infoHash;
    private readonly int _maxMetadataSize;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<ExtendedHandshake> _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _metadata;
    private Fetch? _fetch;
    private readonly Queue<int> _toServe = new();
    private bool[]? _servePending; // under _gate: which pieces wait in _toServe, so a repeated request adds nothing
    private bool _serving; // under _gate: the serve loop runs

    /// <summary>Creates the extension for the torrent <paramref name="infoHash"/>.</summary>
    /// <param name="infoHash">The 20-byte info-hash the metadata must hash to.</param>
    /// <param name="metadata">The bencoded info dictionary, when we have it (it is served to peers).</param>
    /// <param name="maxMetadataSize">Largest metadata accepted from a peer (default 8 MiB).</param>
    /// <exception cref="ArgumentException"><paramref name="metadata"/> does not hash to <paramref name="infoHash"/>.</exception>
    public UtMetadataExtension(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> metadata = default, int maxMetadataSize = 8 * 1024 * 1024)
        : base(ExtensionName)
    {
        if (infoHash.Length != 20) throw new ArgumentException("An info-hash is 20 bytes.", nameof(infoHash));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMetadataSize);
        _infoHash = infoHash.ToArray();
        _maxMetadataSize = maxMetadataSize;
        if (!metadata.IsEmpty) SetMetadata(metadata);
    }

    /// <summary>The metadata, once we have it (given or fetched).</summary>
    public ReadOnlyMemory<byte> Metadata => _metadata;

    /// <summary>Whether we have the metadata (and serve it).</summary>
    public bool HasMetadata => _metadata is not null;

    /// <summary>The metadata size the peer announced, once its extended handshake arrived.</summary>
    public long? RemoteMetadataSize => Wire?.RemoteExtendedHandshake?.MetadataSize;

    /// <summary>Sets the metadata to serve (after fetching it elsewhere); it must hash to the info-hash.</summary>
    /// <exception cref="ArgumentException">It does not.</exception>
    public void SetMetadata(ReadOnlyMemory<byte> metadata)
    {
        if (!SHA1.HashData(metadata.Span).AsSpan().SequenceEqual(_infoHash))
            throw new ArgumentException("The metadata does not hash to the info-hash.", nameof(metadata));
        _metadata = metadata.ToArray();
    }

    /// <summary>
    /// Fetches the metadata from the peer: waits for its extended handshake, requests every piece, checks the SHA-1.
    /// A peer that sends metadata not matching the info-hash is a protocol violation and its wire is closed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The peer does not offer ut_metadata, or rejected a piece.</exception>
    /// <exception cref="ProtocolViolationException">The peer's metadata is too large, malformed, or does not hash to the info-hash.</exception>
    public async Task<ReadOnlyMemory<byte>> FetchAsync(CancellationToken cancellationToken = default)
    {
        if (_metadata is { } have) return have;
        var wire = Wire ?? throw new InvalidOperationException("Register the extension on a wire first.");
        var handshake = await _handshake.Task.WaitAsync(cancellationToken);
        if (!IsSupportedByPeer) throw new InvalidOperationException("The peer does not offer ut_metadata.");
        var size = handshake.MetadataSize ?? throw new InvalidOperationException("The peer does not announce metadata_size: it has no metadata to give.");
        if (size > _maxMetadataSize)
            throw Violate(wire, $"metadata_size {size} exceeds the limit of {_maxMetadataSize}.");
        Fetch fetch;
        lock (_gate)
        {
            fetch = _fetch ??= new Fetch((int)size);
        }
        for (var piece = 0; piece < fetch.PieceCount; piece++)
        {
            await SendAsync(Encode(0, piece), cancellationToken);
        }
        return await fetch.Done.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override void OnSendingHandshake(BencodeDictionary handshake)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        if (_metadata is { } metadata) handshake["metadata_size"] = metadata.Length;
    }

    /// <inheritdoc/>
    protected override void OnExtendedHandshake(ExtendedHandshake handshake) => _handshake.TrySetResult(handshake);

    /// <inheritdoc/>
    protected override void OnClosed(PeerWireClosedEventArgs closed)
    {
        ArgumentNullException.ThrowIfNull(closed);
        var error = new IOException($"The wire closed ({closed.Reason}) before the metadata arrived.", closed.Error);
        _handshake.TrySetException(error);
        _fetch?.Done.TrySetException(error);
    }

    /// <inheritdoc/>
    protected override void OnMessage(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        ReadOnlySequence<byte> dictionaryBytes;
        try
        {
            if (!BencodeFraming.TryReadValue(ref reader, out dictionaryBytes, FramingOptions))
                throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "Truncated ut_metadata message.");
        }
        catch (BencodeException ex)
        {
            throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "Malformed ut_metadata message: " + ex.Message, ex);
        }
        ParseHeader(dictionaryBytes, out var type, out var piece, out var totalSize);
        var data = payload.Slice(reader.Position);
        switch (type)
        {
            case 0:
                Serve(piece);
                break;
            case 1:
                Receive(piece, totalSize, data);
                break;
            case 2:
                _fetch?.Done.TrySetException(new InvalidOperationException($"The peer rejected metadata piece {piece}."));
                break;
            default:
                break; // BEP 9: ignore unknown message types.
        }
    }

    private static readonly BencodeReaderOptions FramingOptions = BencodeReaderOptions.Lenient with { MaxDepth = 4, MaxStringLength = 1024 };

    private static void ParseHeader(ReadOnlySequence<byte> bytes, out long type, out long piece, out long totalSize)
    {
        type = -1;
        piece = -1;
        totalSize = -1;
        Span<byte> copy = stackalloc byte[(int)Math.Min(bytes.Length, 512)];
        if (bytes.Length > copy.Length) throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "ut_metadata header too long.");
        bytes.CopyTo(copy);
        try
        {
            var reader = new BencodeReader(copy, FramingOptions);
            reader.Expect(BencodeTokenType.DictionaryStart);
            while (reader.Read() && reader.TokenType != BencodeTokenType.End)
            {
                var isType = reader.ValueTextEquals("msg_type"u8);
                var isPiece = reader.ValueTextEquals("piece"u8);
                var isSize = reader.ValueTextEquals("total_size"u8);
                reader.Read();
                if (reader.TokenType == BencodeTokenType.Integer)
                {
                    var value = reader.GetInt64();
                    if (isType) type = value;
                    else if (isPiece) piece = value;
                    else if (isSize) totalSize = value;
                }
                else if (reader.TokenType is BencodeTokenType.ListStart or BencodeTokenType.DictionaryStart)
                {
                    reader.SkipValue();
                }
            }
        }
        catch (BencodeException ex)
        {
            throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "Malformed ut_metadata message: " + ex.Message, ex);
        }
        if (type < 0 || piece < 0) throw new ProtocolViolationException(ProtocolViolation.InvalidExtendedMessage, "ut_metadata message without msg_type or piece.");
    }

    /// <summary>
    /// Queues a requested piece. Pieces go out one at a time, each after the previous one was taken by the transport, and
    /// a piece already waiting is not queued twice: a peer asking without reading holds at most one piece of our memory
    /// in flight and one flag per piece. Rejects are dropped when the wire's send queue is full.
    /// </summary>
    private void Serve(long piece)
    {
        if (!IsSupportedByPeer) return;
        var metadata = _metadata;
        var pieces = metadata is null ? 0 : (metadata.Length + PieceLength - 1) / PieceLength;
        if (metadata is null || piece >= pieces)
        {
            TrySend(Encode(2, piece));
            return;
        }
        lock (_gate)
        {
            _servePending ??= new bool[pieces];
            if (!_servePending[piece])
            {
                _servePending[piece] = true;
                _toServe.Enqueue((int)piece);
            }
            if (_serving) return;
            _serving = true;
        }
        _ = ServeQueuedAsync(metadata);
    }

    private async Task ServeQueuedAsync(byte[] metadata)
    {
        try
        {
            while (true)
            {
                int piece;
                lock (_gate)
                {
                    // A later extended handshake may withdraw ut_metadata: what was asked before goes unanswered.
                    if (!IsSupportedByPeer)
                    {
                        _toServe.Clear();
                        Array.Clear(_servePending!);
                    }
                    if (!_toServe.TryDequeue(out piece))
                    {
                        _serving = false;
                        return;
                    }
                    _servePending![piece] = false;
                }
                await SendAsync(EncodePiece(metadata, piece));
            }
        }
        catch (Exception) when (Wire?.IsClosed != false)
        {
            // The wire is closing; its Closed event says why.
        }
#pragma warning disable CA1031 // Nobody awaits this loop: a failure closes the wire rather than vanish or crash the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Wire?.Abort(ex);
        }
    }

    private static byte[] EncodePiece(byte[] metadata, int piece)
    {
        var offset = piece * PieceLength;
        var length = Math.Min(PieceLength, metadata.Length - offset);
        var header = Encode(1, piece, metadata.Length);
        var message = new byte[header.Length + length];
        header.CopyTo(message, 0);
        metadata.AsSpan(offset, length).CopyTo(message.AsSpan(header.Length));
        return message;
    }

    private void Receive(long piece, long totalSize, ReadOnlySequence<byte> data)
    {
        var fetch = _fetch;
        if (fetch is null) return; // Unsolicited: ignore.
        if (totalSize != fetch.Buffer.Length || piece >= fetch.PieceCount)
            throw new ProtocolViolationException(ProtocolViolation.InvalidMetadata, $"Metadata piece {piece} of total_size {totalSize} does not fit metadata_size {fetch.Buffer.Length}.");
        var offset = (int)piece * PieceLength;
        var expected = Math.Min(PieceLength, fetch.Buffer.Length - offset);
        if (data.Length != expected)
            throw new ProtocolViolationException(ProtocolViolation.InvalidMetadata, $"Metadata piece {piece} is {data.Length} bytes, expected {expected}.");
        lock (_gate)
        {
            if (fetch.Received[piece]) return;
            data.CopyTo(fetch.Buffer.AsSpan(offset));
            fetch.Received[piece] = true;
            if (++fetch.ReceivedCount < fetch.PieceCount) return;
        }
        if (!SHA1.HashData(fetch.Buffer).AsSpan().SequenceEqual(_infoHash))
        {
            var error = new ProtocolViolationException(ProtocolViolation.InvalidMetadata, "The peer's metadata does not hash to the info-hash.");
            fetch.Done.TrySetException(error);
            throw error;
        }
        _metadata = fetch.Buffer;
        fetch.Done.TrySetResult(fetch.Buffer);
    }

    private static ProtocolViolationException Violate(PeerWire wire, string message)
    {
        var error = new ProtocolViolationException(ProtocolViolation.InvalidMetadata, message);
        wire.Abort(error);
        return error;
    }

    private static byte[] Encode(int type, long piece, long totalSize = -1)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new BencodeWriter(buffer);
        writer.WriteDictionaryStart();
        writer.WriteInteger("msg_type"u8, type);
        writer.WriteInteger("piece"u8, piece);
        if (totalSize >= 0) writer.WriteInteger("total_size"u8, totalSize);
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class Fetch(int size)
    {
        public byte[] Buffer { get; } = new byte[size];
        public int PieceCount { get; } = (size + PieceLength - 1) / PieceLength;
        public bool[] Received { get; } = new bool[(size + PieceLength - 1) / PieceLength];
        public int ReceivedCount { get; set; }
        public TaskCompletionSource<byte[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
