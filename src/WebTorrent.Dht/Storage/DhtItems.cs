using System.Buffers;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace WebTorrent.Dht.Storage;

/// <summary>A BEP 44 mutable item: a bencoded value signed with an ed25519 key, versioned by a sequence number.</summary>
/// <param name="PublicKey">The 32-byte ed25519 public key.</param>
/// <param name="Salt">Optional salt (up to 64 bytes) so one key can hold several items.</param>
/// <param name="Sequence">Version; a store keeps the highest.</param>
/// <param name="Value">The raw bencoded value (up to 1000 bytes).</param>
/// <param name="Signature">The 64-byte ed25519 signature over salt, seq and v.</param>
public sealed record DhtMutableItem(byte[] PublicKey, byte[] Salt, long Sequence, byte[] Value, byte[] Signature)
{
    /// <summary>The DHT key of this item: SHA-1 of the public key and the salt.</summary>
    public NodeId Target => Bep44.MutableTarget(PublicKey, Salt);

    /// <summary>True when the signature is valid for the key, salt, sequence and value.</summary>
    public bool Verify() => Bep44.Verify(PublicKey, Salt, Sequence, Value, Signature);

    /// <summary>Signs <paramref name="value"/> with the 32-byte ed25519 <paramref name="privateKey"/> (the seed).</summary>
    public static DhtMutableItem Create(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> value, long sequence, ReadOnlySpan<byte> salt = default)
    {
        if (privateKey.Length != Ed25519.SecretKeySize) throw new ArgumentException("An ed25519 private key is 32 bytes.", nameof(privateKey));
        Bep44.CheckValue(value, salt);
        var secret = privateKey.ToArray();
        var publicKey = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(secret, 0, publicKey, 0);
        var payload = Bep44.SignaturePayload(salt, sequence, value);
        var signature = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(secret, 0, payload, 0, payload.Length, signature, 0);
        CryptographicOperations.ZeroMemory(secret);
        return new DhtMutableItem(publicKey, salt.ToArray(), sequence, value.ToArray(), signature);
    }

    /// <summary>A new random ed25519 private key (32 bytes).</summary>
    public static byte[] CreatePrivateKey() => RandomNumberGenerator.GetBytes(Ed25519.SecretKeySize);

    /// <summary>The public key of a 32-byte ed25519 private key.</summary>
    public static byte[] GetPublicKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != Ed25519.SecretKeySize) throw new ArgumentException("An ed25519 private key is 32 bytes.", nameof(privateKey));
        var publicKey = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(privateKey.ToArray(), 0, publicKey, 0);
        return publicKey;
    }
}

/// <summary>BEP 44 rules: targets, the signed payload, limits.</summary>
public static class Bep44
{
    /// <summary>Largest bencoded value, in bytes.</summary>
    public const int MaxValueSize = 1000;

    /// <summary>Largest salt, in bytes.</summary>
    public const int MaxSaltSize = 64;

    /// <summary>Target of an immutable item: SHA-1 of its bencoded value.</summary>
    public static NodeId ImmutableTarget(ReadOnlySpan<byte> value)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(value, hash);
        return new NodeId(hash);
    }

    /// <summary>Target of a mutable item: SHA-1 of the public key followed by the salt.</summary>
    public static NodeId MutableTarget(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(publicKey);
        sha.AppendData(salt);
        Span<byte> hash = stackalloc byte[20];
        sha.GetHashAndReset(hash);
        return new NodeId(hash);
    }

    /// <summary>The bytes signed: <c>4:salt&lt;n&gt;:&lt;salt&gt;</c> (when salted) <c>3:seqi&lt;seq&gt;e1:v</c> and the bencoded value.</summary>
    public static byte[] SignaturePayload(ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + salt.Length + 48);
        var writer = new Bencode.BencodeWriter(buffer);
        if (!salt.IsEmpty) writer.WriteString("salt"u8, salt);
        writer.WriteInteger("seq"u8, sequence);
        writer.WriteString("v"u8);
        writer.WriteRawValue(value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Verifies an ed25519 signature of a mutable item; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> value, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != Ed25519.PublicKeySize || signature.Length != Ed25519.SignatureSize) return false;
        var payload = SignaturePayload(salt, sequence, value);
        try
        {
            return Ed25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, payload, 0, payload.Length);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static void CheckValue(ReadOnlySpan<byte> value, ReadOnlySpan<byte> salt)
    {
        if (value.IsEmpty || value.Length > MaxValueSize) throw new ArgumentException($"A BEP 44 value is 1 to {MaxValueSize} bencoded bytes.", nameof(value));
        if (salt.Length > MaxSaltSize) throw new ArgumentException($"A BEP 44 salt is at most {MaxSaltSize} bytes.", nameof(salt));
        try
        {
            Bencode.BencodeSerializer.Decode(value);
        }
        catch (Bencode.BencodeException e)
        {
            throw new ArgumentException("A BEP 44 value must be valid bencode: " + e.Message, nameof(value), e);
        }
    }
}

/// <summary>BEP 44 items stored on behalf of others, bounded and expiring. Not thread-safe.</summary>
internal sealed class ItemStore(TimeProvider time, TimeSpan lifetime, int maxItems)
{
    private readonly Dictionary<NodeId, StoredItem> _items = [];

    public int Count => _items.Count;

    public StoredItem? Get(NodeId target)
    {
        if (!_items.TryGetValue(target, out var item)) return null;
        if (item.Expires <= Now)
        {
            _items.Remove(target);
            return null;
        }
        return item;
    }

    public void Put(NodeId target, StoredItem item)
    {
        if (!_items.ContainsKey(target) && _items.Count >= maxItems)
        {
            // Full: the item closest to expiry makes room.
            var victim = _items.MinBy(pair => pair.Value.Expires).Key;
            _items.Remove(victim);
        }
        _items[target] = item with { Expires = Now + (long)lifetime.TotalMilliseconds };
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();
}

internal sealed record StoredItem(byte[] Value, byte[]? PublicKey, byte[]? Salt, long Sequence, byte[]? Signature, long Expires);
