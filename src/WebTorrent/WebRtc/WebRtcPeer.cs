using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using WebRtc.DataChannels;
using WebTorrent.Discovery;
using RtcPeerConnection = WebRtc.PeerConnection;

namespace WebTorrent.WebRtc;

/// <summary>
/// One WebRTC peer connection of the client, from offer (or relayed offer) to close: it is half-open until its data channel
/// opens and the BitTorrent handshake is done, then its channel is a wire of its torrent. A deadline closes it if it stays
/// half-open too long; an idle check closes it once nothing moves; it closes when its wire ends.
/// </summary>
internal sealed class WebRtcPeer : IAsyncDisposable
{
    private readonly WebRtcPeerFactory _owner;
    private readonly WebRtcPeerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly ITimer _deadline;
    private ITimer? _idleCheck;
    private ActivityStream? _stream;
    private readonly object _gate = new();
    private Task? _disposal;
    private int _channelTaken;

    public WebRtcPeer(WebRtcPeerFactory owner, RtcPeerConnection connection, string torrentKey, bool outgoing, WebRtcPeerOptions options,
        TimeProvider time, ILogger logger)
    {
        _owner = owner;
        Connection = connection;
        TorrentKey = torrentKey;
        IsOutgoing = outgoing;
        _options = options;
        _time = time;
        _logger = logger;
        // An offer waits for its answer; an answered offer waits for its channel.
        var first = outgoing ? options.OfferTimeout : options.ConnectTimeout;
        _deadline = time.CreateTimer(static s => ((WebRtcPeer)s!).OnDeadline(), this, first, Timeout.InfiniteTimeSpan);
        connection.ConnectionStateChanged += (_, state) =>
        {
            if (state is global::WebRtc.PeerConnectionState.Failed or global::WebRtc.PeerConnectionState.Closed) Close("the peer connection " + state.ToString().ToLowerInvariant());
        };
    }

    public RtcPeerConnection Connection { get; }

    /// <summary>The torrent's wire info-hash as hex (the client's key).</summary>
    public string TorrentKey { get; }

    /// <summary>Whether we made the offer.</summary>
    public bool IsOutgoing { get; }

    /// <summary>Whether the data channel opened and the BitTorrent handshake finished.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>Whether an answer to our offer was accepted.</summary>
    public bool AnswerAccepted { get; set; }

    /// <summary>Whether the factory counts this peer as half-open (guarded by the factory's lock).</summary>
    public bool HalfOpenCounted { get; set; }

    public bool IsClosed => Volatile.Read(ref _disposal) is not null;

    /// <summary>The offer was answered: the deadline now bounds connecting.</summary>
    public void RestartDeadline() => _deadline.Change(_options.ConnectTimeout, Timeout.InfiniteTimeSpan);

    /// <summary>Runs the peer wire over <paramref name="channel"/> (the first one to open; others are closed).</summary>
    public async Task RunAsync(DataChannel channel)
    {
        if (Interlocked.Exchange(ref _channelTaken, 1) != 0)
        {
            channel.Close();
            return;
        }
        try
        {
            await channel.WhenOpen.WaitAsync(_closing.Token).ConfigureAwait(false);
            var torrent = _owner.FindTorrent(TorrentKey) ?? throw new InvalidOperationException("the torrent is no longer in the client");
            _stream = new ActivityStream(channel.AsStream(), _time, () => Close("the wire closed"));
            var pipe = new StreamPipe(
                PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: false)),
                PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 32 * 1024, leaveOpen: false)));
            try
            {
                await torrent.ConnectWireAsync(pipe, IsOutgoing, null, PeerSource.Tracker, PeerTransport.WebRtc, _closing.Token).ConfigureAwait(false);
            }
            catch
            {
                await pipe.Input.CompleteAsync().ConfigureAwait(false);
                await pipe.Output.CompleteAsync().ConfigureAwait(false);
                throw;
            }
            if (IsClosed) return;
            IsConnected = true;
            _deadline.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _owner.OnConnected(this);
            var period = _options.IdleTimeout / 4;
            _idleCheck = _time.CreateTimer(static s => ((WebRtcPeer)s!).CheckIdle(), this, period, period);
            if (IsClosed) _idleCheck.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Close("the BitTorrent connection failed: " + e.Message);
        }
    }

    /// <summary>Closes in the background, logging why.</summary>
    public void Close(string reason)
    {
        if (IsClosed) return;
        _logger.LogDebug("WebRTC peer ({Direction}) of {Torrent} closed: {Reason}", IsOutgoing ? "our offer" : "their offer", TorrentKey, reason);
        _ = DisposeAsync().AsTask();
    }

    /// <summary>Closes the connection; every caller waits until it is closed and released (pause and removal rely on it).</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate) _disposal ??= CloseCoreAsync();
        return new ValueTask(_disposal);
    }

    private async Task CloseCoreAsync()
    {
        await Task.Yield();
        await _closing.CancelAsync().ConfigureAwait(false);
        await _deadline.DisposeAsync().ConfigureAwait(false);
        if (_idleCheck is { } idle) await idle.DisposeAsync().ConfigureAwait(false);
        _stream?.Dispose();
        try
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug(e, "Closing a WebRTC peer connection failed");
        }
        _owner.OnClosed(this);
        _closing.Dispose();
    }

    private void OnDeadline()
    {
        if (IsConnected) return;
        Close(AnswerAccepted || !IsOutgoing ? $"not connected within {_options.ConnectTimeout}" : $"no answer within {_options.OfferTimeout}");
    }

    private void CheckIdle()
    {
        if (_stream is { } stream && _time.GetElapsedTime(stream.LastActivity) >= _options.IdleTimeout) Close($"idle for {_options.IdleTimeout}");
    }

    private sealed record StreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
