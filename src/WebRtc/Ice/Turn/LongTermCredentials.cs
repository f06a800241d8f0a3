using System.Security.Cryptography;
using System.Text;

namespace WebRtc.Ice.Turn;

/// <summary>
/// STUN long-term credentials (RFC 8489 section 9.2): learns REALM and NONCE from a 401 or 438 challenge, then signs
/// requests with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed with MD5(username:realm:password).
/// Not thread-safe: its owner serialises access.
/// </summary>
public sealed class LongTermCredentials(string username, string password)
{
    private byte[]? _key;

    /// <summary>The realm of the last challenge, once challenged.</summary>
    public string? Realm { get; private set; }

    /// <summary>The nonce of the last challenge, once challenged.</summary>
    public string? Nonce { get; private set; }

    /// <summary>Whether a challenge has been answered yet (requests are then signed).</summary>
    public bool HasChallenge => _key is not null && Nonce is not null;

    /// <summary>The MESSAGE-INTEGRITY key: MD5 of <c>username:realm:password</c> in UTF-8.</summary>
    public static byte[] ComputeKey(string username, string realm, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(password);
#pragma warning disable CA5351 // MD5 is what RFC 8489's long-term key is made of.
        return MD5.HashData(Encoding.UTF8.GetBytes(username + ":" + realm + ":" + password));
#pragma warning restore CA5351
    }

    /// <summary>
    /// Takes the REALM and NONCE of a 401 (Unauthorized) or 438 (Stale Nonce) response. False when retrying cannot help:
    /// no nonce, or a 401 to a request already signed with the same realm and nonce (the password is wrong).
    /// </summary>
    public bool TryAcceptChallenge(int errorCode, TurnAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Nonce is null) return false;
        var realm = attributes.Realm ?? Realm;
        if (realm is null) return false;
        if (errorCode == 401 && HasChallenge && realm == Realm && attributes.Nonce == Nonce) return false;
        if (errorCode is not (401 or 438)) return false;
        if (realm != Realm || _key is null) _key = ComputeKey(username, realm, password);
        Realm = realm;
        Nonce = attributes.Nonce;
        return true;
    }

    /// <summary>Adds USERNAME, REALM, NONCE and MESSAGE-INTEGRITY once challenged; nothing before.</summary>
    public void Sign(ref StunMessageWriter writer)
    {
        if (!HasChallenge) return;
        writer.AddUsername(username);
        writer.AddRealm(Realm!);
        writer.AddNonce(Nonce!);
        writer.AddMessageIntegrity(_key);
    }

    /// <summary>Whether a response carries a MESSAGE-INTEGRITY made with our key (true when we never signed).</summary>
    public bool Verify(StunMessage response, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!HasChallenge) return true;
        return response.VerifyMessageIntegrity(datagram, _key);
    }
}
