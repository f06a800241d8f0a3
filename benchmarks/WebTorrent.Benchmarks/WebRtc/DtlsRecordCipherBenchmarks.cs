using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using WebRtc.Dtls;

namespace WebTorrent.Benchmarks.WebRtc;

/// <summary>
/// The DTLS record cipher on one 1163-byte record (the largest SCTP packet under a 1200-byte path):
/// ours (AesGcm behind BouncyCastle's TlsAeadCipherImpl) against BouncyCastle's own GcmBlockCipher.
/// </summary>
public class DtlsRecordCipherBenchmarks
{
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];
    private readonly byte[] _record = new byte[1163 + 16];
    private readonly AesGcmCipherImpl _ours = new(encrypt: true);
    private readonly GcmBlockCipher _bouncy = new(new AesEngine());
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_key);
        _ours.SetKey(_key, 0, _key.Length);
    }

    private void NextNonce() => System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(_nonce.AsSpan(4), ++_sequence);

    [Benchmark(Description = "DTLS record AES-128-GCM encrypt 1163 B: AesGcm (ours)")]
    public int Ours()
    {
        NextNonce();
        _ours.Init(_nonce, 16, _aad);
        return _ours.DoFinal(_record, 0, 1163, _record, 0);
    }

    [Benchmark(Baseline = true, Description = "reference: BouncyCastle GcmBlockCipher")]
    public int Bouncy()
    {
        NextNonce(); // BouncyCastle refuses a reused GCM nonce, as DTLS never reuses one
        _bouncy.Init(true, new AeadParameters(new KeyParameter(_key), 128, _nonce, _aad));
        var n = _bouncy.ProcessBytes(_record, 0, 1163, _record, 0);
        return n + _bouncy.DoFinal(_record, n);
    }
}
