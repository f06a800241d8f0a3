using System.Security.Cryptography;
using WebRtc.Dtls;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace WebRtc;

/// <summary>
/// A WebRTC peer connection for data channels, shaped like RTCPeerConnection: exchange descriptions with
/// <see cref="CreateOfferAsync"/> / <see cref="CreateAnswerAsync"/> / <see cref="SetLocalDescriptionAsync"/> /
/// <see cref="SetRemoteDescriptionAsync"/>, and the transport chain ICE, then DTLS (then SCTP) comes up by itself.
/// Descriptions carry every candidate (non-trickle); <see cref="IceCandidateGathered"/> and
/// <see cref="AddIceCandidateAsync"/> serve trickle ICE.
/// </summary>
public sealed partial class PeerConnection : IAsyncDisposable
{
    private readonly PeerConnectionOptions _options;
    private readonly IceAgent _ice;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ulong _sessionId;
    private DtlsTransport? _dtls;
    private bool _started;
    private bool _dtlsConnected;
    private int _disposed;

    /// <summary>Creates a connection; nothing is sent until descriptions are exchanged.</summary>
    public PeerConnection(PeerConnectionOptions? options = null)
    {
        _options = options ?? new PeerConnectionOptions();
        var ice = _options.Ice;
        if (_options.IceServers.Count > 0)
        {
            var (stun, turn) = IceServer.Resolve(_options.IceServers);
            ice = ice with { StunServers = [.. ice.StunServers, .. stun], TurnServers = [.. ice.TurnServers, .. turn] };
        }
        if (_options.IceTransportPolicy != IceTransportPolicy.All) ice = ice with { TransportPolicy = _options.IceTransportPolicy };
        _ice = new IceAgent(ice);
        Certificate = _options.Certificate ?? DtlsCertificate.Generate(timeProvider: ice.TimeProvider);
        _sessionId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 2;
        _ice.StateChanged += OnIceStateChanged;
        _ice.CandidateGathered += (_, c) => IceCandidateGathered?.Invoke(this, c);
        _ice.GatheringStateChanged += (_, s) => IceGatheringStateChanged?.Invoke(this, s);
    }

    /// <summary>The connection state.</summary>
    public PeerConnectionState ConnectionState { get; private set; }

    /// <summary>The ICE connection state.</summary>
    public IceConnectionState IceConnectionState => _ice.State;

    /// <summary>The ICE gathering state.</summary>
    public IceGatheringState IceGatheringState => _ice.GatheringState;

    /// <summary>Our DTLS certificate (its fingerprint is in our descriptions).</summary>
    public DtlsCertificate Certificate { get; }

    /// <summary>The description applied with <see cref="SetLocalDescriptionAsync"/>.</summary>
    public SessionDescription? LocalDescription { get; private set; }

    /// <summary>The description applied with <see cref="SetRemoteDescriptionAsync"/>.</summary>
    public SessionDescription? RemoteDescription { get; private set; }

    /// <summary>The selected ICE candidate pair, once connected.</summary>
    public IceSelectedPair? SelectedCandidatePair => _ice.SelectedPair;

    /// <summary>The negotiated DTLS cipher suite, once connected.</summary>
    public string? DtlsCipherSuite => _dtls?.CipherSuite;

    /// <summary>Whether we are the DTLS client (known once both descriptions are set).</summary>
    public bool? IsDtlsClient { get; private set; }

    /// <summary>Raised when <see cref="ConnectionState"/> changes.</summary>
    public event EventHandler<PeerConnectionState>? ConnectionStateChanged;

    /// <summary>Raised when <see cref="IceConnectionState"/> changes.</summary>
    public event EventHandler<IceConnectionState>? IceConnectionStateChanged;

    /// <summary>Raised when <see cref="IceGatheringState"/> changes.</summary>
    public event EventHandler<IceGatheringState>? IceGatheringStateChanged;

    /// <summary>Raised for each local candidate gathered (send it to the peer for trickle ICE).</summary>
    public event EventHandler<IceCandidate>? IceCandidateGathered;

    /// <summary>Creates an offer holding every local candidate (it waits for gathering to complete).</summary>
    public async Task<SessionDescription> CreateOfferAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _ice.GatherAsync(cancellationToken);
        return BuildDescription(SdpType.Offer, DtlsSetup.ActPass, "0", 0, []);
    }

    /// <summary>Creates an answer to the remote offer, holding every local candidate.</summary>
    public async Task<SessionDescription> CreateAnswerAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var remote = RemoteDescription;
        if (remote is null || remote.Type != SdpType.Offer) throw new InvalidOperationException("Set a remote offer before creating an answer.");
        await _ice.GatherAsync(cancellationToken);
        var setup = remote.Setup == DtlsSetup.Active ? DtlsSetup.Passive : DtlsSetup.Active;
        return BuildDescription(SdpType.Answer, setup, remote.Mid, remote.ApplicationSectionIndex, remote.IgnoredMedia);
    }

    /// <summary>Applies our description (from <see cref="CreateOfferAsync"/> or <see cref="CreateAnswerAsync"/>).</summary>
    public Task SetLocalDescriptionAsync(SessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (description.IceUsernameFragment != _ice.LocalUsernameFragment || description.IcePassword != _ice.LocalPassword)
            throw new InvalidOperationException("The description was not created by this connection (its ICE credentials differ).");
        lock (_gate)
        {
            if (LocalDescription is not null) throw new InvalidOperationException("Renegotiation is not supported: the local description is already set.");
            if (description.Type == SdpType.Offer && RemoteDescription is not null) throw new InvalidOperationException("Cannot set a local offer after a remote offer.");
            if (description.Type != SdpType.Offer && RemoteDescription is null) throw new InvalidOperationException("Set the remote offer before the local answer.");
            LocalDescription = description;
        }
        return StartIfReadyAsync();
    }

    /// <summary>Applies the peer's description.</summary>
    /// <exception cref="SdpFormatException">It lacks what a data-channel session needs.</exception>
    public Task SetRemoteDescriptionAsync(SessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        lock (_gate)
        {
            if (RemoteDescription is not null) throw new InvalidOperationException("Renegotiation is not supported: the remote description is already set.");
            if (description.Type == SdpType.Offer && LocalDescription is not null) throw new InvalidOperationException("Cannot set a remote offer after a local offer.");
            if (description.Type != SdpType.Offer && LocalDescription is null) throw new InvalidOperationException("Set the local offer before the remote answer.");
            if (description.Type != SdpType.Offer && description.Setup == DtlsSetup.ActPass) throw new SdpFormatException("An answer must say a=setup:active or passive.");
            RemoteDescription = description;
        }
        _ice.SetRemoteCredentials(description.IceUsernameFragment, description.IcePassword);
        foreach (var c in description.Candidates) _ice.AddRemoteCandidate(c);
        _dtls?.SetRemoteFingerprint(description.PreferredFingerprint);
        return StartIfReadyAsync();
    }

    /// <summary>Adds a remote candidate received by trickle ICE.</summary>
    public Task AddIceCandidateAsync(IceCandidate candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (RemoteDescription is null) throw new InvalidOperationException("Set the remote description before adding candidates.");
        _ice.AddRemoteCandidate(candidate);
        return Task.CompletedTask;
    }

    /// <summary>Waits until <see cref="ConnectionState"/> is Connected; throws <see cref="PeerConnectionException"/> if it fails.</summary>
    public Task WaitForConnectedAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    /// <summary>Closes DTLS (close_notify) and ICE, and raises the Closed state.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        OnClosing();
        _closing.Cancel();
        if (_dtls is { } dtls) await dtls.DisposeAsync();
        await _ice.DisposeAsync();
        _connected.TrySetException(new ObjectDisposedException(nameof(PeerConnection)));
        _ = _connected.Task.Exception;
        SetState(PeerConnectionState.Closed);
        _closing.Dispose();
    }

    /// <summary>Called once DTLS is connected and authenticated: the SCTP layer starts here.</summary>
    partial void OnDtlsConnected(WebRtc.Transport.IDatagramTransport dtlsTransport, bool isDtlsClient, WebRtc.Sdp.SessionDescription remoteDescription);

    /// <summary>Called when the connection starts closing, before DTLS and ICE are torn down.</summary>
    partial void OnClosing();

    private SessionDescription BuildDescription(SdpType type, DtlsSetup setup, string mid, int applicationIndex, IReadOnlyList<IgnoredMediaSection> ignored) => new()
    {
        Type = type,
        SessionId = _sessionId,
        SessionVersion = 2,
        IceUsernameFragment = _ice.LocalUsernameFragment,
        IcePassword = _ice.LocalPassword,
        IceOptions = ["trickle"],
        Fingerprints = [Certificate.Fingerprint],
        Setup = setup,
        Mid = mid,
        SctpPort = _options.SctpPort,
        MaxMessageSize = _options.MaxMessageSize,
        Candidates = _ice.LocalCandidates,
        EndOfCandidates = _ice.GatheringState == IceGatheringState.Complete,
        ApplicationSectionIndex = applicationIndex,
        IgnoredMedia = ignored,
    };

    private Task StartIfReadyAsync()
    {
        SessionDescription local, remote;
        lock (_gate)
        {
            if (_started || LocalDescription is null || RemoteDescription is null) return Task.CompletedTask;
            _started = true;
            local = LocalDescription;
            remote = RemoteDescription;
        }
        var role = local.Type == SdpType.Offer && !remote.IceLite ? IceRole.Controlling : IceRole.Controlled;
        if (remote.IceLite) role = IceRole.Controlling;
        IsDtlsClient = local.Setup switch
        {
            DtlsSetup.Active => true,
            DtlsSetup.Passive => false,
            _ => remote.Setup == DtlsSetup.Passive,
        };
        SetState(PeerConnectionState.Connecting);
        _ice.StartChecks(role);
        _ = ConnectAsync(remote, IsDtlsClient.Value);
        return Task.CompletedTask;
    }

    private async Task ConnectAsync(SessionDescription remote, bool dtlsClient)
    {
        var token = _closing.Token;
        try
        {
            await _ice.WaitConnectedAsync(token);
            var dtls = new DtlsTransport(_ice.Transport, dtlsClient ? DtlsRole.Client : DtlsRole.Server, new DtlsTransportOptions
            {
                Certificate = Certificate,
                RemoteFingerprint = remote.PreferredFingerprint,
                HandshakeTimeout = _options.DtlsHandshakeTimeout,
                TimeProvider = _options.Ice.TimeProvider,
            });
            bool closed;
            lock (_gate)
            {
                closed = _disposed != 0;
                if (!closed) _dtls = dtls;
            }
            if (closed)
            {
                await dtls.DisposeAsync();
                return;
            }
            dtls.StateChanged += OnDtlsStateChanged;
            await dtls.HandshakeAsync(token);
            _dtlsConnected = true;
            SetState(_ice.State == IceConnectionState.Disconnected ? PeerConnectionState.Disconnected : PeerConnectionState.Connected);
            OnDtlsConnected(dtls, dtlsClient, remote);
            _connected.TrySetResult();
        }
        catch (Exception e) when (_disposed == 0)
        {
            SetState(PeerConnectionState.Failed);
            _connected.TrySetException(new PeerConnectionException("The peer connection failed: " + e.Message, e));
            _ = _connected.Task.Exception;
        }
        catch (Exception)
        {
            // Closed while connecting.
        }
    }

    private void OnIceStateChanged(object? sender, IceConnectionState state)
    {
        IceConnectionStateChanged?.Invoke(this, state);
        switch (state)
        {
            case IceConnectionState.Failed:
                SetState(PeerConnectionState.Failed);
                break;
            case IceConnectionState.Disconnected:
                SetState(PeerConnectionState.Disconnected);
                break;
            case IceConnectionState.Connected when _dtlsConnected:
                SetState(PeerConnectionState.Connected);
                break;
            default:
                break;
        }
    }

    private void OnDtlsStateChanged(object? sender, DtlsState state)
    {
        // The peer closed DTLS (close_notify) or DTLS failed after connecting: the connection is over.
        if (_dtlsConnected && _disposed == 0 && state is DtlsState.Closed or DtlsState.Failed) SetState(PeerConnectionState.Closed);
    }

    private void SetState(PeerConnectionState state)
    {
        lock (_gate)
        {
            if (ConnectionState == state || ConnectionState == PeerConnectionState.Closed) return;
            if (ConnectionState == PeerConnectionState.Failed && state != PeerConnectionState.Closed) return;
            ConnectionState = state;
        }
        ConnectionStateChanged?.Invoke(this, state);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);
}
