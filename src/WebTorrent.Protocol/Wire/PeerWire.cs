using System.Buffers;
using System.IO.Pipelines;
using Bencode;

namespace WebTorrent.Protocol;

/// <summary>
/// One BitTorrent peer connection over any duplex byte stream (a TCP socket, a WebRTC data channel): the
/// handshake, BEP 3/6/10 messages, request pipelining, choke/interest state, counters and speeds, keep-alives and
/// timeouts. Events are raised on the read loop (a handler that throws closes the wire); a protocol violation closes the wire with a
/// <see cref="ProtocolViolationException"/> as <see cref="CloseError"/>.
/// </summary>
public sealed partial class PeerWire : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);
    private const int DefaultRemoteRequestQueue = 250;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly PeerWireOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _requestBatchDepth;
    private bool _requestsUnflushed; // under _writeLock
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<PeerExtension> _extensions = [];
    private readonly HashSet<string> _extensionNames = new(StringComparer.Ordinal);
    private readonly Dictionary<BlockRequest, PendingRequest> _outgoing = [];
    private readonly HashSet<BlockRequest> _incoming = [];
    private readonly HashSet<int> _allowedFast = [];
    private readonly HashSet<int> _grantedFast = [];
    private readonly SpeedMeter _downloadSpeed;
    private readonly SpeedMeter _uploadSpeed;
    private PeerMessageLimits _limits;
    private SemaphoreSlim? _requestSlots;
    private ITimer? _timer;
    private byte[]? _infoHash;
    private bool _handshakeSent;
    private bool _extendedHandshakePending;
    private bool _running;
    private int _closed;
    private long _lastReceived;
    private long _lastSent;
    private long _bytesReceived;
    private long _bytesSent;

    /// <summary>Creates a wire over <paramref name="transport"/>; the wire completes both ends when it closes.</summary>
    /// <param name="transport">The connection.</param>
    /// <param name="options">Settings; <see cref="PeerWireOptions.Default"/> when null.</param>
    /// <param name="layout">The torrent's layout when known (not yet for a magnet link: see <see cref="SetPieceLayout"/>).</param>
    public PeerWire(IDuplexPipe transport, PeerWireOptions? options = null, PieceLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? PeerWireOptions.Default;
        _options.Validate();
        _input = transport.Input;
        _output = transport.Output;
        _time = _options.TimeProvider;
        _limits = _options.Limits with { Layout = layout };
        PeerPieces = new PeerPieces(_options.Limits.MaxMessageLength);
        if (layout is { } l) PeerPieces.SetPieceCount(l.PieceCount);
        _downloadSpeed = new SpeedMeter(_time, _options.SpeedWindow);
        _uploadSpeed = new SpeedMeter(_time, _options.SpeedWindow);
        _lastReceived = _lastSent = _lastSendProgress = _time.GetTimestamp();
    }

    /// <summary>Creates a wire over a <see cref="Stream"/> (a <c>NetworkStream</c>, an <c>SslStream</c>...), which it disposes when it closes.</summary>
    public static PeerWire Create(Stream stream, PeerWireOptions? options = null, PieceLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: false));
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: false));
        return new PeerWire(new StreamDuplex(reader, writer), options, layout);
    }

    /// <summary>Raised when the peer chokes us.</summary>
    public event EventHandler? Choked;

    /// <summary>Raised when the peer unchokes us.</summary>
    public event EventHandler? Unchoked;

    /// <summary>Raised when the peer becomes interested.</summary>
    public event EventHandler? Interested;

    /// <summary>Raised when the peer is no longer interested.</summary>
    public event EventHandler? NotInterested;

    /// <summary>Raised when the peer announces a piece (have).</summary>
    public event EventHandler<int>? Have;

    /// <summary>Raised when the peer sends its bitfield, have all or have none (see <see cref="PeerPieces"/>).</summary>
    public event EventHandler? BitfieldReceived;

    /// <summary>Raised when the peer requests a block we may serve: answer with <see cref="SendPieceAsync"/> or <see cref="SendRejectAsync"/>.</summary>
    public event EventHandler<BlockRequest>? RequestReceived;

    /// <summary>Raised when the peer cancels one of its requests.</summary>
    public event EventHandler<BlockRequest>? CancelReceived;

    /// <summary>Raised when the peer suggests a piece (BEP 6).</summary>
    public event EventHandler<int>? SuggestReceived;

    /// <summary>Raised when the peer allows us a piece while choked (BEP 6).</summary>
    public event EventHandler<int>? AllowedFastReceived;

    /// <summary>Raised when the peer announces its DHT port (BEP 5).</summary>
    public event EventHandler<int>? PortReceived;

    /// <summary>Raised when the peer's extended handshake arrives.</summary>
    public event EventHandler<ExtendedHandshake>? ExtendedHandshakeReceived;

    /// <summary>Raised once when the wire closes, whatever the reason.</summary>
    public event EventHandler<PeerWireClosedEventArgs>? Closed;

    /// <summary>The remote's handshake, once received.</summary>
    public PeerHandshake? RemoteHandshake { get; private set; }

    /// <summary>The remote's latest extended handshake, once received.</summary>
    public ExtendedHandshake? RemoteExtendedHandshake { get; private set; }

    /// <summary>The info-hash this wire serves, once a handshake has named it.</summary>
    public ReadOnlyMemory<byte> InfoHash => _infoHash;

    /// <summary>Whether both sides negotiated the BEP 6 fast extension.</summary>
    public bool FastExtensionEnabled => _options.EnableFastExtension && RemoteHandshake?.SupportsFastExtension == true;

    /// <summary>Whether both sides negotiated the BEP 10 extension protocol.</summary>
    public bool ExtensionProtocolEnabled => _options.EnableExtensionProtocol && RemoteHandshake?.SupportsExtensionProtocol == true;

    /// <summary>Whether we choke the peer (initially true).</summary>
    public bool AmChoking { get; private set; } = true;

    /// <summary>Whether we are interested in the peer (initially false).</summary>
    public bool AmInterested { get; private set; }

    /// <summary>Whether the peer chokes us (initially true).</summary>
    public bool PeerChoking { get; private set; } = true;

    /// <summary>Whether the peer is interested in us (initially false).</summary>
    public bool PeerInterested { get; private set; }

    /// <summary>The pieces the peer has.</summary>
    public PeerPieces PeerPieces { get; }

    /// <summary>The torrent layout used to validate messages, once known.</summary>
    public PieceLayout? Layout => _limits.Layout;

    /// <summary>Payload bytes received in piece messages.</summary>
    public long Downloaded => _downloadSpeed.Total;

    /// <summary>Payload bytes sent in piece messages.</summary>
    public long Uploaded => _uploadSpeed.Total;

    /// <summary>All bytes received, handshake and headers included.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>All bytes sent, handshake and headers included.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Download speed in bytes per second over <see cref="PeerWireOptions.SpeedWindow"/>.</summary>
    public double DownloadSpeed => _downloadSpeed.BytesPerSecond;

    /// <summary>Upload speed in bytes per second over <see cref="PeerWireOptions.SpeedWindow"/>.</summary>
    public double UploadSpeed => _uploadSpeed.BytesPerSecond;

    /// <summary>Our block requests not yet answered.</summary>
    public int OutstandingRequests
    {
        get { lock (_gate) return _outgoing.Count; }
    }

    /// <summary>The peer's requests not yet answered.</summary>
    public int QueuedIncomingRequests
    {
        get { lock (_gate) return _incoming.Count; }
    }

    /// <summary>Whether the wire has closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Why the wire closed (<see cref="PeerWireCloseReason.None"/> while open).</summary>
    public PeerWireCloseReason CloseReason { get; private set; }

    /// <summary>The exception that closed the wire, if any (a <see cref="ProtocolViolationException"/> for a misbehaving peer).</summary>
    public Exception? CloseError { get; private set; }

    /// <summary>Completes (never faults) when the wire has closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The extensions registered with <see cref="Use"/>.</summary>
    public IReadOnlyList<PeerExtension> Extensions => _extensions;

    /// <summary>Registers an extension before the handshake; its local id is its position plus one.</summary>
    /// <exception cref="InvalidOperationException">The handshake was already sent, or an extension of that name exists.</exception>
    public T Use<T>(T extension) where T : PeerExtension
    {
        ArgumentNullException.ThrowIfNull(extension);
        lock (_gate)
        {
            if (_handshakeSent || RemoteHandshake is not null) throw new InvalidOperationException("Register extensions before the handshake.");
            if (extension.Wire is not null) throw new InvalidOperationException($"{extension.Name} is already registered on a wire.");
            if (_extensions.Exists(e => e.Name == extension.Name)) throw new InvalidOperationException($"An extension named {extension.Name} is already registered.");
            if (_extensions.Count >= 250) throw new InvalidOperationException("Too many extensions.");
            _extensions.Add(extension);
            _extensionNames.Add(extension.Name);
            extension.Wire = this;
            extension.LocalId = (byte)_extensions.Count;
        }
        return extension;
    }

    /// <summary>The registered extension of type <typeparamref name="T"/>, or null.</summary>
    public T? GetExtension<T>() where T : PeerExtension => _extensions.OfType<T>().FirstOrDefault();

    /// <summary>
    /// Sets or confirms the torrent's layout (after fetching the metadata of a magnet link): from now on piece indexes,
    /// bitfields and blocks are checked against it, and pieces the peer announced beyond it close the wire.
    /// </summary>
    public void SetPieceLayout(PieceLayout layout)
    {
        try
        {
            PeerPieces.SetPieceCount(layout.PieceCount);
        }
        catch (ProtocolViolationException ex)
        {
            Shutdown(PeerWireCloseReason.ProtocolViolation, ex);
            throw;
        }
        _limits = _limits with { Layout = layout };
    }

    /// <summary>
    /// Sends our handshake then waits for the remote's (the usual order for an outgoing connection), checks it names
    /// the same torrent, and starts the wire.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The remote's handshake is malformed or for another torrent.</exception>
    /// <exception cref="TimeoutException">No handshake within <see cref="PeerWireOptions.HandshakeTimeout"/>.</exception>
    public async Task<PeerHandshake> HandshakeAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> peerId, CancellationToken cancellationToken = default)
    {
        await SendHandshakeAsync(infoHash, peerId, cancellationToken);
        return await ReceiveHandshakeAsync(cancellationToken);
    }

    /// <summary>
    /// Waits for the remote's handshake. An incoming connection calls this first, finds the torrent by
    /// <see cref="PeerHandshake.InfoHash"/>, then calls <see cref="SendHandshakeAsync"/>.
    /// </summary>
    /// <exception cref="ProtocolViolationException">Not a BitTorrent handshake, or another torrent than the one we sent.</exception>
    /// <exception cref="TimeoutException">No handshake within <see cref="PeerWireOptions.HandshakeTimeout"/>.</exception>
    public async Task<PeerHandshake> ReceiveHandshakeAsync(CancellationToken cancellationToken = default)
    {
        if (RemoteHandshake is not null) throw new InvalidOperationException("The handshake was already received.");
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _closing.Token);
        PeerHandshake? handshake = null;
        try
        {
            while (handshake is null)
            {
                var result = await _input.ReadAsync(linked.Token);
                var buffer = result.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                var done = PeerHandshake.TryRead(ref reader, out handshake);
                // Bytes after the handshake (the remote's first messages, often in the same segment) stay unexamined
                // so the read loop sees them at once.
                if (done) _input.AdvanceTo(reader.Position);
                else _input.AdvanceTo(reader.Position, buffer.End);
                if (!done && result.IsCompleted)
                    throw new ProtocolViolationException(ProtocolViolation.Truncated, "The connection closed during the handshake.");
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var error = new TimeoutException($"No handshake within {_options.HandshakeTimeout}.");
            Shutdown(PeerWireCloseReason.Timeout, error);
            throw error;
        }
        catch (ProtocolViolationException ex)
        {
            Shutdown(PeerWireCloseReason.ProtocolViolation, ex);
            throw;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Shutdown(PeerWireCloseReason.TransportError, ex);
            throw;
        }
        Interlocked.Add(ref _bytesReceived, PeerHandshake.Length);
        _lastReceived = _time.GetTimestamp();
        bool start;
        lock (_gate)
        {
            if (_infoHash is not null && !handshake.InfoHash.Span.SequenceEqual(_infoHash))
            {
                var ex = new ProtocolViolationException(ProtocolViolation.InfoHashMismatch, "The remote's handshake names another torrent.");
                Shutdown(PeerWireCloseReason.ProtocolViolation, ex);
                throw ex;
            }
            _infoHash ??= handshake.InfoHash.ToArray();
            RemoteHandshake = handshake;
            start = _handshakeSent;
        }
        if (start) Start();
        return handshake;
    }

    /// <summary>Sends our handshake (info-hash and peer id, 20 bytes each) with the reserved bits of our options.</summary>
    public async Task SendHandshakeAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> peerId, CancellationToken cancellationToken = default)
    {
        var handshake = new PeerHandshake(infoHash.Span, peerId.Span, _options.Reserved);
        lock (_gate)
        {
            if (_handshakeSent) throw new InvalidOperationException("The handshake was already sent.");
            if (_infoHash is not null && !infoHash.Span.SequenceEqual(_infoHash))
                throw new ArgumentException("The info-hash differs from the remote's handshake.", nameof(infoHash));
            _infoHash ??= infoHash.ToArray();
            _handshakeSent = true;
        }
        await WriteAsync(handshake, PeerHandshake.Length, static (IBufferWriter<byte> o, in PeerHandshake h) => h.WriteTo(o), false, cancellationToken);
        bool start;
        lock (_gate) start = RemoteHandshake is not null;
        if (start) Start();
    }

    private void Start()
    {
        lock (_gate)
        {
            if (_running || IsClosed) return;
            _running = true;
            _extendedHandshakePending = ExtensionProtocolEnabled;
        }
        _lastReceived = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((PeerWire)s!).Tick(), this, TickInterval, TickInterval);
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>Closes the wire gracefully: what was sent is flushed, then both directions end.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (IsClosed) return;
        try
        {
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                if (!IsClosed) await _output.FlushAsync(cancellationToken);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing anyway.
        }
        Shutdown(PeerWireCloseReason.Local, null);
        await Completion.WaitAsync(cancellationToken);
    }

    /// <summary>Closes the wire at once, dropping anything unsent; <paramref name="error"/> becomes <see cref="CloseError"/>.</summary>
    public void Abort(Exception? error = null) =>
        Shutdown(error is ProtocolViolationException ? PeerWireCloseReason.ProtocolViolation : PeerWireCloseReason.Local, error);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
    }

    private sealed record StreamDuplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
