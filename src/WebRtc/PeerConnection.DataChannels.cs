using WebRtc.DataChannels;
using WebRtc.Sctp;
using WebRtc.Sdp;
using WebRtc.Transport;

namespace WebRtc;

public sealed partial class PeerConnection
{
    private readonly object _dataChannelGate = new();
    private readonly List<DataChannel> _earlyDataChannels = [];
    private DataChannelSession? _dataChannelSession;
    private bool _dataChannelsClosed;

    /// <summary>
    /// Creates a data channel (like RTCPeerConnection.createDataChannel). Created before the connection is
    /// up, it stays <see cref="DataChannelState.Connecting"/> (its <see cref="DataChannel.Id"/> still null)
    /// and opens once SCTP is established; afterwards it opens at once.
    /// </summary>
    /// <param name="label">A name the peer sees.</param>
    /// <param name="options">Ordering, partial reliability, protocol, negotiated id.</param>
    public DataChannel CreateDataChannel(string label, DataChannelOptions? options = null)
    {
        options ??= new DataChannelOptions();
        options.Validate(label);
        lock (_dataChannelGate)
        {
            ObjectDisposedException.ThrowIf(_dataChannelsClosed, this);
            if (_dataChannelSession is { } session) return session.CreateDataChannel(label, options);
            var channel = new DataChannel(null, null, label, options, acked: options.Negotiated);
            _earlyDataChannels.Add(channel);
            return channel;
        }
    }

    /// <summary>The peer opened a data channel (raised before its first message is delivered).</summary>
    public event EventHandler<DataChannel>? DataChannelOpened;

    /// <summary>The SCTP association under the data channels, once DTLS is connected (null before).</summary>
    public SctpAssociation? Sctp
    {
        get { lock (_dataChannelGate) return _dataChannelSession?.Association; }
    }

    /// <summary>Completes when SCTP is established and data channels can open; faults if it fails.</summary>
    public Task WaitForSctpAsync(CancellationToken cancellationToken = default) => _sctpEstablished.Task.WaitAsync(cancellationToken);

    private readonly TaskCompletionSource _sctpEstablished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    partial void OnDtlsConnected(IDatagramTransport dtlsTransport, bool isDtlsClient, SessionDescription remoteDescription)
    {
        // Our a=max-message-size bounds what we reassemble; the receive window must hold one such message.
        var maxReceive = (int)Math.Clamp(_options.MaxMessageSize <= 0 ? 1L << 20 : _options.MaxMessageSize, 1024, 64L << 20);
        var sctpOptions = new SctpOptions
        {
            LocalPort = checked((ushort)_options.SctpPort),
            RemotePort = checked((ushort)remoteDescription.SctpPort),
            MaxReceiveMessageSize = maxReceive,
            ReceiveWindow = Math.Max(2 << 20, maxReceive),
            ZeroChecksum = true, // SCTP runs over DTLS here (RFC 9653 method 1)
        };
        var association = new SctpAssociation(dtlsTransport, sctpOptions, _options.Ice.TimeProvider);
        var remoteMax = remoteDescription.MaxMessageSize <= 0 ? 0 : (int)Math.Min(remoteDescription.MaxMessageSize, int.MaxValue);
        var session = new DataChannelSession(association, isDtlsClient, remoteMax);
        session.DataChannelOpened += (_, channel) => DataChannelOpened?.Invoke(this, channel);
        lock (_dataChannelGate)
        {
            if (_dataChannelsClosed) return;
            _dataChannelSession = session;
            foreach (var channel in _earlyDataChannels) session.Adopt(channel);
            _earlyDataChannels.Clear();
        }
        _ = StartSctpAsync(session);
    }

    private async Task StartSctpAsync(DataChannelSession session)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await session.StartAsync(timeout.Token).ConfigureAwait(false);
            _sctpEstablished.TrySetResult();
        }
        catch (Exception ex) when (ex is SctpException or OperationCanceledException or ObjectDisposedException)
        {
            _sctpEstablished.TrySetException(new PeerConnectionException("SCTP could not be established: " + ex.Message, ex));
            _ = _sctpEstablished.Task.Exception;
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    partial void OnClosing()
    {
        DataChannelSession? session;
        List<DataChannel> early;
        lock (_dataChannelGate)
        {
            _dataChannelsClosed = true;
            session = _dataChannelSession;
            early = [.. _earlyDataChannels];
            _earlyDataChannels.Clear();
        }
        foreach (var channel in early) channel.SetClosed();
        _sctpEstablished.TrySetException(new ObjectDisposedException(nameof(PeerConnection)));
        _ = _sctpEstablished.Task.Exception;
        if (session is null) return;
        // Tell the peer at once (ABORT) while DTLS is still up; the session then closes its channels.
        session.Association.Abort("peer connection closed");
        _ = session.DisposeAsync().AsTask();
    }
}
