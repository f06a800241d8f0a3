using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Org.BouncyCastle.Tls;
using WebRtc.Transport;
using BcDtlsTransport = Org.BouncyCastle.Tls.DtlsTransport;

namespace WebRtc.Dtls;

/// <summary>
/// DTLS 1.2 (BouncyCastle) over any <see cref="IDatagramTransport"/>, authenticated by certificate fingerprint
/// as WebRTC does (RFC 8827): after <see cref="HandshakeAsync"/> it is itself an <see cref="IDatagramTransport"/>
/// carrying application data (SCTP packets). It fails closed when the remote certificate does not match the
/// expected fingerprint. Disposing it sends close_notify; the inner transport is left to its owner.
/// </summary>
public sealed class DtlsTransport : IDatagramTransport, IDatagramReceiver, IPushDatagramTransport, IBatchDatagramTransport
{
    private const int BatchBufferSize = 65000;
    private const byte ContentTypeApplicationData = 23;
    private const ushort ApplicationDataEpoch = 1;
    private readonly IDatagramTransport _inner;
    private readonly DtlsTransportOptions _options;
    private readonly DatagramAdapter _adapter;
    private readonly ReceivedDatagramQueue _incoming;
    private readonly TaskCompletionSource _verified = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly object _sendGate = new();
    private readonly object _receiveGate = new();
    private readonly Config _config;
    private Task? _handshake;
    private BcDtlsTransport? _dtls;
    private DtlsRecordProtection? _protection;
    private volatile bool _peerConfirmed;
    private volatile IDatagramReceiver? _upper;
    private CertificateFingerprint? _expected;
    private byte[]? _remoteDer;
    private volatile bool _remoteClosed;
    private string? _fatalAlert;
    private volatile bool _handshakeTimedOut;
    private int _disposed;

    /// <summary>Creates a transport that will handshake as <paramref name="role"/> over <paramref name="inner"/>.</summary>
    public DtlsTransport(IDatagramTransport inner, DtlsRole role, DtlsTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _options = options ?? new DtlsTransportOptions();
        Role = role;
        LocalCertificate = _options.Certificate ?? DtlsCertificate.Generate(timeProvider: _options.TimeProvider);
        _expected = _options.RemoteFingerprint;
        if (_options.MaxRetransmitTimeout <= TimeSpan.Zero && _options.MaxRetransmitTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxRetransmitTimeout must be positive (or infinite).");
        _adapter = new DatagramAdapter(inner, _options.ReceiveQueueCapacity, _options.MaxRetransmitTimeout, _options.TimeProvider, role == DtlsRole.Server);
        _incoming = new ReceivedDatagramQueue(_options.ReceiveQueueCapacity);
        _config = new Config(this);
    }

    /// <summary>Our role.</summary>
    public DtlsRole Role { get; }

    /// <summary>The state.</summary>
    public DtlsState State { get; private set; }

    /// <summary>Our certificate.</summary>
    public DtlsCertificate LocalCertificate { get; }

    /// <summary>The <c>sha-256</c> fingerprint of the certificate the peer presented, once received.</summary>
    public CertificateFingerprint? RemoteCertificateFingerprint { get; private set; }

    /// <summary>The negotiated cipher suite (IANA name), once the handshake is done.</summary>
    public string? CipherSuite { get; private set; }

    /// <summary>Raised when <see cref="State"/> changes.</summary>
    public event EventHandler<DtlsState>? StateChanged;

    /// <summary>The largest application datagram: the inner limit less DTLS record overhead (1163 under a 1200-byte path).</summary>
    public int MaxDatagramSize => _dtls?.GetSendLimit() ?? Math.Max(0, _inner.MaxDatagramSize - 37);

    /// <summary>
    /// Runs the handshake (once; later calls return the same task). Completes when the handshake is done and the
    /// remote certificate matches the expected fingerprint; throws <see cref="DtlsException"/> on failure, timeout
    /// or mismatch.
    /// </summary>
    public Task HandshakeAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            _handshake ??= RunHandshakeAsync(cancellationToken);
            return _handshake;
        }
    }

    /// <summary>
    /// Sets the fingerprint the remote certificate must have, when it was not known at construction (the remote
    /// description arrived after the handshake started). A mismatch fails the transport.
    /// </summary>
    public void SetRemoteFingerprint(CertificateFingerprint fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        byte[]? der;
        lock (_gate)
        {
            if (_expected is not null && !_expected.Equals(fingerprint)) throw new InvalidOperationException("A different remote fingerprint is already set.");
            _expected = fingerprint;
            der = _remoteDer;
        }
        if (der is null) return;
        if (fingerprint.Matches(der)) _verified.TrySetResult();
        else _verified.TrySetException(new DtlsException("The remote DTLS certificate does not match the SDP fingerprint."));
    }

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (State != DtlsState.Connected || _dtls is null) throw new InvalidOperationException("The DTLS transport is not connected.");
        if (datagram.Length > MaxDatagramSize) throw new ArgumentException($"Datagram larger than {MaxDatagramSize} bytes.", nameof(datagram));
        if (_protection is not null && _peerConfirmed) return SendProtected(datagram, cancellationToken);
        try
        {
            if (MemoryMarshal.TryGetArray(datagram, out var segment))
            {
                lock (_sendGate) _dtls.Send(segment.Array!, segment.Offset, segment.Count);
            }
            else
            {
                var rented = ArrayPool<byte>.Shared.Rent(datagram.Length);
                try
                {
                    datagram.Span.CopyTo(rented);
                    lock (_sendGate) _dtls.Send(rented, 0, datagram.Length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        catch (Exception e) when (e is IOException or TlsFatalAlert)
        {
            Fail();
            throw new ObjectDisposedException("The DTLS transport is closed.", e);
        }
        return ValueTask.CompletedTask;
    }

    // Our own record layer: encrypt into a pooled buffer and hand it to the transport below, nothing allocated.
    private ValueTask SendProtected(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        var record = ArrayPool<byte>.Shared.Rent(datagram.Length + 64);
        ValueTask pending;
        try
        {
            lock (_sendGate)
            {
                var protection = _protection;
                ObjectDisposedException.ThrowIf(protection is null, this);
                var length = protection.Protect(datagram.Span, record);
                pending = _inner.SendAsync(record.AsMemory(0, length), cancellationToken);
            }
        }
        catch (InvalidOperationException e)
        {
            ArrayPool<byte>.Shared.Return(record);
            Fail();
            throw new ObjectDisposedException("The transport below DTLS has no path.", e);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(record);
            throw;
        }
        if (pending.IsCompletedSuccessfully)
        {
            ArrayPool<byte>.Shared.Return(record);
            return ValueTask.CompletedTask;
        }
        return AwaitSend(pending, record);

        static async ValueTask AwaitSend(ValueTask pending, byte[] record)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(record);
            }
        }
    }

    /// <summary>
    /// Encrypts a batch of datagrams back to back into one pooled buffer and hands each run of equal-size records
    /// to the transport below as one segmented send (UDP GSO): one system call for up to 64 datagrams.
    /// </summary>
    bool IBatchDatagramTransport.TrySendBatch(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams)
    {
        if (_inner is not ISegmentedDatagramSender segmented || !_peerConfirmed || _disposed != 0 || State != DtlsState.Connected) return false;
        foreach (var d in datagrams)
        {
            if (d.Length == 0 || d.Length > MaxDatagramSize) return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(BatchBufferSize);
        try
        {
            lock (_sendGate)
            {
                var protection = _protection;
                if (protection is null) return false;
                int runStart = 0, offset = 0, segment = 0, count = 0;
                foreach (var d in datagrams)
                {
                    var length = d.Length + protection.Overhead;
                    if (count > 0 && (length > segment || offset + length > BatchBufferSize))
                    {
                        SendRun(segmented, buffer.AsSpan(runStart, offset - runStart), segment, count);
                        runStart = offset = 0;
                        count = 0;
                    }
                    if (count == 0) segment = length;
                    offset += protection.Protect(d.Span, buffer.AsSpan(offset));
                    count++;
                    if (length < segment)
                    {
                        // A shorter record can only end a run.
                        SendRun(segmented, buffer.AsSpan(runStart, offset - runStart), segment, count);
                        runStart = offset = 0;
                        count = 0;
                    }
                }
                if (count > 0) SendRun(segmented, buffer.AsSpan(runStart, offset - runStart), segment, count);
            }
        }
        catch (InvalidOperationException e)
        {
            Fail();
            throw new ObjectDisposedException("The transport below DTLS has no path.", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return true;
    }

    // Under _sendGate. The transport below is ICE's, whose sends complete synchronously.
    private void SendRun(ISegmentedDatagramSender segmented, ReadOnlySpan<byte> run, int segment, int count)
    {
        if (count > 1 && segmented.TrySendSegments(run, segment)) return;
        while (!run.IsEmpty)
        {
            var length = Math.Min(segment, run.Length);
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                run[..length].CopyTo(rented);
                var pending = _inner.SendAsync(rented.AsMemory(0, length));
                if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            run = run[length..];
        }
    }

    /// <summary>
    /// A datagram from below once the handshake is done (pushed by the ICE receive loop or the adapter's pump):
    /// application data records of the connection's epoch are decrypted here in place; every other record
    /// (alerts, retransmitted handshake flights) goes on to BouncyCastle.
    /// </summary>
    void IDatagramReceiver.OnDatagram(Span<byte> datagram)
    {
        while (datagram.Length >= DtlsRecordProtection.HeaderLength)
        {
            var length = DtlsRecordProtection.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            if (length > datagram.Length) return; // truncated: drop the rest (RFC 6347 section 4.1.2.7)
            var record = datagram[..length];
            datagram = datagram[length..];
            if (record[0] != ContentTypeApplicationData || BinaryPrimitives.ReadUInt16BigEndian(record[3..]) != ApplicationDataEpoch)
            {
                _adapter.Inject(record);
                continue;
            }
            Range plaintext;
            lock (_receiveGate)
            {
                // The lock guards the cipher and replay window only; the plaintext goes up outside it.
                if (_protection is not { } protection || _disposed != 0 || !protection.TryUnprotect(record, out plaintext)) continue;
            }
            if (!_peerConfirmed)
            {
                _peerConfirmed = true;
                _adapter.StopRetransmitting(); // the client has our final flight
            }
            var payload = record[plaintext];
            if (payload.Length == 0) continue;
            if (_upper is { } upper) upper.OnDatagram(payload);
            else _incoming.Enqueue(payload);
        }
    }

    /// <inheritdoc />
    void IPushDatagramTransport.SetReceiver(IDatagramReceiver? receiver) => _upper = receiver;
    /// <inheritdoc />
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _incoming.DequeueAsync(buffer, cancellationToken);

    /// <summary>Sends close_notify (when connected) and stops; the inner transport stays open.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        if (_protection is not null && _peerConfirmed) CloseProtected();
        else
        {
            RetireProtection();
            try
            {
                lock (_sendGate) _dtls?.Close();
            }
            catch (Exception e) when (e is IOException or TlsFatalAlert or ObjectDisposedException)
            {
            }
        }
        _adapter.Close();
        _incoming.Complete();
        _verified.TrySetException(new ObjectDisposedException(nameof(DtlsTransport)));
        _ = _verified.Task.Exception;
        SetState(DtlsState.Closed);
        return ValueTask.CompletedTask;
    }

    // close_notify through our record layer (BouncyCastle's sequence numbers are behind ours: the peer would
    // discard its alert as a replay), then retire the ciphers.
    private void CloseProtected()
    {
        if (_inner is IPushDatagramTransport push) push.SetReceiver(null);
        var record = ArrayPool<byte>.Shared.Rent(64);
        try
        {
            lock (_sendGate)
            {
                lock (_receiveGate)
                {
                    var protection = _protection;
                    _protection = null;
                    if (protection is null) return;
                    if (State == DtlsState.Connected && !_remoteClosed)
                    {
                        var length = protection.ProtectCloseNotify(record);
                        var pending = _inner.SendAsync(record.AsMemory(0, length));
                        if (!pending.IsCompletedSuccessfully) pending.AsTask().Wait(TimeSpan.FromSeconds(1));
                    }
                    protection.Dispose();
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException or AggregateException)
        {
            // The path is already gone: nothing to tell the peer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    private void RetireProtection()
    {
        if (_inner is IPushDatagramTransport push) push.SetReceiver(null);
        lock (_sendGate)
        {
            lock (_receiveGate)
            {
                _protection?.Dispose();
                _protection = null;
            }
        }
    }

    // After the handshake: application data bypasses BouncyCastle's record layer (see DtlsRecordProtection).
    private void StartRecordLayer(DotNetTlsCrypto crypto)
    {
        if (crypto.RecordKeys is not { } keys || !_options.OwnRecordLayer) return;
        lock (_sendGate)
        {
            lock (_receiveGate)
            {
                if (_disposed != 0) return;
                _protection = new DtlsRecordProtection(keys, ApplicationDataEpoch);

                // The server sent the handshake's last flight: until the client shows (with its first application
                // record) that the flight arrived, BouncyCastle may have to retransmit it, and our records, numbered
                // above BouncyCastle's, could make the client discard that retransmission as a replay. So until
                // then the server sends through BouncyCastle. The client finishes last and never retransmits.
                _peerConfirmed = Role == DtlsRole.Client;
            }
        }
        _adapter.Intercept(this);
        if (_inner is IPushDatagramTransport push) push.SetReceiver(this);
    }

    private async Task RunHandshakeAsync(CancellationToken cancellationToken)
    {
        SetState(DtlsState.Connecting);
        using var timer = _options.TimeProvider.CreateTimer(_ =>
        {
            _handshakeTimedOut = true;
            _adapter.Close();
        }, null, _options.HandshakeTimeout, Timeout.InfiniteTimeSpan);
        using var registration = cancellationToken.Register(_adapter.Close);
        try
        {
            var crypto = DtlsCrypto.Create();
            _dtls = await Task.Factory.StartNew(
                () => Role == DtlsRole.Client
                    ? new DtlsClientProtocol().Connect(new WebRtcDtlsClient(crypto, _config), _adapter)
                    : new DtlsServerProtocol().Accept(new WebRtcDtlsServer(crypto, _config), _adapter),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            _adapter.HandshakeCompleted(Role == DtlsRole.Server, _options.HandshakeTimeout);
            StartRecordLayer(crypto);
            _ = Task.Factory.StartNew(ReadLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await _verified.Task.WaitAsync(_options.HandshakeTimeout, _options.TimeProvider, cancellationToken);
        }
        catch (Exception e)
        {
            Fail();
            if (e is DtlsException) throw;
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            var reason = _verified.Task.IsFaulted ? _verified.Task.Exception!.InnerException!.Message
                : _handshakeTimedOut ? $"the DTLS handshake timed out after {_options.HandshakeTimeout.TotalSeconds:0.#} s"
                : _fatalAlert is { } alert ? "the DTLS handshake failed: " + alert
                : e is TimeoutException || _adapter.IsClosed ? "the DTLS handshake timed out or its transport closed" : "the DTLS handshake failed: " + e.Message;
            throw new DtlsException(reason, e);
        }
        SetState(DtlsState.Connected);
    }

    private void ReadLoop()
    {
        var dtls = _dtls!;
        var buffer = new byte[Math.Max(dtls.GetReceiveLimit(), 2048)];
        while (_disposed == 0 && !_remoteClosed)
        {
            int n;
            try
            {
                n = dtls.Receive(buffer, 0, buffer.Length, 250);
            }
            catch (Exception e) when (e is IOException or TlsFatalAlert or TlsFatalAlertReceived or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }
            if (n < 0)
            {
                if (_adapter.IsClosed) break;
                continue;
            }
            if (n == 0) continue;
            _incoming.Enqueue(buffer.AsSpan(0, n));
        }
        _incoming.Complete();
        if (State == DtlsState.Connected) SetState(DtlsState.Closed);
    }

    private void Fail()
    {
        _adapter.Close();
        _incoming.Complete();
        SetState(DtlsState.Failed);
    }

    private void SetState(DtlsState state)
    {
        lock (_gate)
        {
            if (State == state || State is DtlsState.Failed or DtlsState.Closed) return;
            State = state;
        }
        StateChanged?.Invoke(this, state);
    }

    private void OnRemoteCertificate(byte[] der)
    {
        CertificateFingerprint? expected;
        lock (_gate)
        {
            _remoteDer = der;
            RemoteCertificateFingerprint = CertificateFingerprint.Compute(der);
            expected = _expected;
        }
        if (expected is null) return; // checked when SetRemoteFingerprint is called
        if (!expected.Matches(der))
        {
            var error = new DtlsException("The remote DTLS certificate does not match the SDP fingerprint.");
            _verified.TrySetException(error);
            throw new TlsFatalAlert(AlertDescription.bad_certificate, error);
        }
        _verified.TrySetResult();
    }

    private sealed class Config(DtlsTransport owner) : IDtlsPeerConfig
    {
        public DtlsCertificate Certificate => owner.LocalCertificate;

        public int HandshakeTimeoutMillis => (int)Math.Min(int.MaxValue, Math.Max(1, owner._options.HandshakeTimeout.TotalMilliseconds));

        public int[] CipherSuites => owner._options.CipherSuites ?? DtlsSuites.CipherSuites;

        public int HandshakeResendMillis => (int)Math.Clamp(owner._options.InitialRetransmitTimeout.TotalMilliseconds, 100, 60000);

        public void OnRemoteCertificate(byte[] der) => owner.OnRemoteCertificate(der);

        public void OnAlertReceived(short alertLevel, short alertDescription)
        {
            if (alertDescription == AlertDescription.close_notify) owner._remoteClosed = true;
            else if (alertLevel == AlertLevel.fatal) RecordFatal("the peer sent the fatal alert ", alertDescription, null);
        }

        public void OnAlertRaised(short alertLevel, short alertDescription, string? message)
        {
            if (alertLevel == AlertLevel.fatal) RecordFatal("we raised the fatal alert ", alertDescription, message);
        }

        private void RecordFatal(string who, short description, string? message) =>
            owner._fatalAlert ??= who + AlertDescription.GetText(description) + (message is null ? "" : " (" + message + ")");

        public void OnHandshakeComplete(int cipherSuite) => owner.CipherSuite = cipherSuite switch
        {
            Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            _ => "0x" + cipherSuite.ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
