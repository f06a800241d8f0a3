using System.Buffers;
using Bencode;

namespace WebTorrent.Protocol;

/// <summary>
/// A BEP 10 extension (ut_metadata, ut_pex, or your own), registered by name on a <see cref="PeerWire"/> with
/// <see cref="PeerWire.Use"/> before the handshake. One instance serves one wire.
/// </summary>
public abstract class PeerExtension
{
    /// <summary>Creates an extension called <paramref name="name"/> (as it appears in the <c>m</c> dictionary).</summary>
    protected PeerExtension(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The extension's name, e.g. <c>ut_metadata</c>.</summary>
    public string Name { get; }

    /// <summary>The wire it is registered on.</summary>
    public PeerWire? Wire { get; internal set; }

    /// <summary>The id the remote uses for this extension in messages it sends to us.</summary>
    public byte LocalId { get; internal set; }

    /// <summary>The id we must use in messages to the remote; null until its extended handshake offers the extension.</summary>
    public byte? RemoteId => Wire?.RemoteExtendedHandshake is { } h && h.Extensions.TryGetValue(Name, out var id) ? id : null;

    /// <summary>Whether the remote offered this extension.</summary>
    public bool IsSupportedByPeer => RemoteId is not null;

    /// <summary>Adds fields to our extended handshake (e.g. <c>metadata_size</c>).</summary>
    protected virtual void OnSendingHandshake(BencodeDictionary handshake) { }

    /// <summary>Called when the remote's extended handshake arrives (possibly again, as an update).</summary>
    protected virtual void OnExtendedHandshake(ExtendedHandshake handshake) { }

    /// <summary>
    /// Called on the wire's read loop with one message for this extension; <paramref name="payload"/> is valid only
    /// during the call. Throw <see cref="ProtocolViolationException"/> to close the wire.
    /// </summary>
    protected abstract void OnMessage(ReadOnlySequence<byte> payload);

    /// <summary>Called once when the wire closes.</summary>
    protected virtual void OnClosed(PeerWireClosedEventArgs closed) { }

    internal void InvokeSendingHandshake(BencodeDictionary handshake) => OnSendingHandshake(handshake);

    internal void InvokeExtendedHandshake(ExtendedHandshake handshake) => OnExtendedHandshake(handshake);

    internal void InvokeMessage(ReadOnlySequence<byte> payload) => OnMessage(payload);

    internal void InvokeClosed(PeerWireClosedEventArgs closed) => OnClosed(closed);

    /// <summary>Sends one message of this extension to the remote.</summary>
    /// <exception cref="InvalidOperationException">The remote does not support the extension.</exception>
    protected ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var wire = Wire ?? throw new InvalidOperationException($"{Name} is not registered on a wire.");
        var id = RemoteId ?? throw new InvalidOperationException($"The peer does not support {Name}.");
        return wire.SendExtendedAsync(id, payload, cancellationToken);
    }

    /// <summary>
    /// Queues one message of this extension in the background unless the wire already has
    /// <see cref="PeerWireOptions.MaxQueuedSendBytes"/> waiting to be sent; then it is dropped and this returns false.
    /// Use it for answers the remote can ask for without limit (rejects and the like). A failed send closes the wire.
    /// </summary>
    /// <exception cref="InvalidOperationException">The remote does not support the extension.</exception>
    protected bool TrySend(ReadOnlyMemory<byte> payload)
    {
        var wire = Wire ?? throw new InvalidOperationException($"{Name} is not registered on a wire.");
        var id = RemoteId ?? throw new InvalidOperationException($"The peer does not support {Name}.");
        return wire.TrySendExtendedInBackground(id, payload);
    }
}
