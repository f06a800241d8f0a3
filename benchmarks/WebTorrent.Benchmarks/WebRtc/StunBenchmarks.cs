using System.Net;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using WebRtc.Ice;

namespace WebTorrent.Benchmarks.WebRtc;

/// <summary>
/// STUN parse/build rate. No other .NET STUN stack is served here, so the reference is the floor every
/// connectivity check pays anyway: one HMAC-SHA1 over the same bytes with .NET's crypto.
/// </summary>
[MemoryDiagnoser]
public class StunBenchmarks
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");
    private readonly byte[] _request = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063" + "6c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _mac = new byte[20];
    private readonly StunTransactionId _id = StunTransactionId.NewRandom();
    private readonly IPEndPoint _mapped = new(IPAddress.Parse("192.0.2.1"), 32853);

    [Benchmark(Description = "STUN parse + verify integrity (RFC 5769 request)")]
    public bool ParseAndVerify() => StunMessage.Parse(_request).VerifyMessageIntegrity(_request, Key);

    [Benchmark(Description = "STUN build check (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MI, FP)")]
    public int BuildCheck()
    {
        var w = new StunMessageWriter(_buffer, StunClass.Request, StunMethod.Binding, _id);
        w.AddUsername("evtj:h6vY");
        w.AddPriority(0x6e0001ff);
        w.AddIceControlling(0x932ff9b151263b36UL);
        w.AddUseCandidate();
        w.AddMessageIntegrity(Key);
        w.AddFingerprint();
        return w.Length;
    }

    [Benchmark(Description = "STUN build response (XOR-MAPPED-ADDRESS, MI, FP)")]
    public int BuildResponse()
    {
        var w = new StunMessageWriter(_buffer, StunClass.SuccessResponse, StunMethod.Binding, _id);
        w.AddXorMappedAddress(_mapped);
        w.AddMessageIntegrity(Key);
        w.AddFingerprint();
        return w.Length;
    }

    [Benchmark(Baseline = true, Description = "reference: HMAC-SHA1 of the same 108 bytes (.NET)")]
    public int HmacFloor()
    {
#pragma warning disable CA5350
        return HMACSHA1.HashData(Key, _request, _mac);
#pragma warning restore CA5350
    }
}
