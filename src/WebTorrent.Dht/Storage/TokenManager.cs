using System.Net;
using System.Security.Cryptography;

namespace WebTorrent.Dht.Storage;

/// <summary>
/// Write tokens (BEP 5): a hash of the querier's address and a secret that rotates every interval; a token from
/// the current or the previous secret is accepted, so tokens live between one and two intervals.
/// </summary>
internal sealed class TokenManager
{
    public const int TokenLength = 8;
    private readonly TimeProvider _time;
    private readonly TimeSpan _rotation;
    private readonly byte[] _current = new byte[16];
    private readonly byte[] _previous = new byte[16];
    private DateTimeOffset _rotatedAt;

    public TokenManager(TimeProvider time, TimeSpan rotation)
    {
        _time = time;
        _rotation = rotation;
        RandomNumberGenerator.Fill(_current);
        RandomNumberGenerator.Fill(_previous);
        _rotatedAt = time.GetUtcNow();
    }

    public void Generate(EndPoint endPoint, Span<byte> token)
    {
        Rotate();
        Compute(_current, endPoint, token);
    }

    public bool Validate(EndPoint endPoint, ReadOnlySpan<byte> token)
    {
        if (token.Length != TokenLength) return false;
        Rotate();
        Span<byte> expected = stackalloc byte[TokenLength];
        Compute(_current, endPoint, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, token)) return true;
        Compute(_previous, endPoint, expected);
        return CryptographicOperations.FixedTimeEquals(expected, token);
    }

    private void Rotate()
    {
        var now = _time.GetUtcNow();
        if (now - _rotatedAt < _rotation) return;
        _current.CopyTo(_previous, 0);
        RandomNumberGenerator.Fill(_current);
        // After a long pause both secrets are stale: tokens from before it must not validate.
        if (now - _rotatedAt >= _rotation * 2) RandomNumberGenerator.Fill(_previous);
        _rotatedAt = now;
    }

    private static void Compute(byte[] secret, EndPoint endPoint, Span<byte> token)
    {
        Span<byte> input = stackalloc byte[16 + 64];
        secret.CopyTo(input);
        int length;
        if (endPoint is IPEndPoint ip)
        {
            ip.Address.TryWriteBytes(input[16..], out length);
        }
        else
        {
            var text = endPoint.ToString() ?? string.Empty;
            length = System.Text.Encoding.UTF8.GetBytes(text.AsSpan(0, Math.Min(text.Length, 16)), input[16..]);
        }
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input[..(16 + length)], hash);
        hash[..TokenLength].CopyTo(token);
    }
}
