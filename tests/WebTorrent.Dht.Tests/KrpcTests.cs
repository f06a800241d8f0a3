using System.Buffers;
using System.Net;
using System.Text;
using WebTorrent.Dht.Krpc;

namespace WebTorrent.Dht.Tests;

public class KrpcTests
{
    private static readonly NodeId Id = new(Encoding.ASCII.GetBytes("abcdefghij0123456789"));
    private static readonly NodeId Target = new(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));

    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Parses_the_BEP5_ping_example()
    {
        var bytes = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8;
        Assert.True(KrpcParser.TryParse(bytes, out var message, out _));
        Assert.Equal(KrpcMessageType.Query, message.Type);
        Assert.Equal(KrpcQueryType.Ping, message.Query);
        Assert.Equal("aa"u8.ToArray(), message.TransactionId.ToArray());
        Assert.Equal(Id, new NodeId(message.Id));
    }

    [Fact]
    public void Parses_the_BEP5_get_peers_response_with_values()
    {
        var bytes = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"u8;
        Assert.True(KrpcParser.TryParse(bytes, out var message, out _));
        Assert.Equal(KrpcMessageType.Response, message.Type);
        Assert.Equal("aoeusnth"u8.ToArray(), message.Token.ToArray());
        var values = new List<byte[]>();
        foreach (var value in KrpcParser.EnumerateStrings(message.Values)) values.Add(value.ToArray());
        Assert.Equal(["axje.u"u8.ToArray(), "idhtnm"u8.ToArray()], values);
    }

    [Fact]
    public void Ping_is_encoded_canonically()
    {
        var bytes = Write(o => KrpcWriter.WritePing(o, "aa"u8, Id));
        Assert.Equal("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:v4:WN\0\u00011:y1:qe", Encoding.Latin1.GetString(bytes));
    }

    [Fact]
    public void Queries_round_trip()
    {
        var token = "tokentok"u8.ToArray();
        var findNode = Write(o => KrpcWriter.WriteFindNode(o, "t1"u8, Id, Target, KrpcWant.Nodes4 | KrpcWant.Nodes6));
        Assert.True(KrpcParser.TryParse(findNode, out var m, out _));
        Assert.Equal(KrpcQueryType.FindNode, m.Query);
        Assert.Equal(Target, new NodeId(m.Target));
        Assert.Equal(KrpcWant.Nodes4 | KrpcWant.Nodes6, m.Want);

        var getPeers = Write(o => KrpcWriter.WriteGetPeers(o, "t2"u8, Id, Target, scrape: true, noSeed: true));
        Assert.True(KrpcParser.TryParse(getPeers, out m, out _));
        Assert.Equal(KrpcQueryType.GetPeers, m.Query);
        Assert.Equal(Target, new NodeId(m.InfoHash));
        Assert.True(m.Scrape);
        Assert.True(m.NoSeed);

        var announce = Write(o => KrpcWriter.WriteAnnouncePeer(o, "t3"u8, Id, Target, 6881, token, impliedPort: true, seed: true));
        Assert.True(KrpcParser.TryParse(announce, out m, out _));
        Assert.Equal(KrpcQueryType.AnnouncePeer, m.Query);
        Assert.Equal(6881, m.Port);
        Assert.True(m.ImpliedPort);
        Assert.True(m.Seed);
        Assert.Equal(token, m.Token.ToArray());

        var put = Write(o => KrpcWriter.WritePut(o, "t4"u8, Id, token, "12:Hello World!"u8, new byte[32], new byte[64], 7, "salt"u8, 6));
        Assert.True(KrpcParser.TryParse(put, out m, out _));
        Assert.Equal(KrpcQueryType.Put, m.Query);
        Assert.Equal("12:Hello World!"u8.ToArray(), m.Value.ToArray());
        Assert.Equal(7, m.Sequence);
        Assert.Equal(6, m.CompareAndSwap);
        Assert.Equal("salt"u8.ToArray(), m.Salt.ToArray());
        Assert.Equal(32, m.PublicKey.Length);
        Assert.Equal(64, m.Signature.Length);

        var get = Write(o => KrpcWriter.WriteGet(o, "t5"u8, Id, Target, 3));
        Assert.True(KrpcParser.TryParse(get, out m, out _));
        Assert.Equal(KrpcQueryType.Get, m.Query);
        Assert.Equal(3, m.Sequence);
    }

    [Fact]
    public void Responses_and_errors_round_trip()
    {
        var peers = new byte[12];
        CompactEncoding.WritePeer(new IPEndPoint(IPAddress.Parse("1.2.3.4"), 5678), peers);
        CompactEncoding.WritePeer(new IPEndPoint(IPAddress.Parse("5.6.7.8"), 80), peers.AsSpan(6));
        var nodes = new byte[CompactEncoding.NodeV4Size];
        CompactEncoding.WriteNode(Target, new IPEndPoint(IPAddress.Parse("9.9.9.9"), 9), nodes);
        var requester = new byte[6];
        CompactEncoding.WritePeer(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 1), requester);
        var output = new ArrayBufferWriter<byte>();
        var fields = new KrpcResponseFields { Nodes = nodes, Token = "tok"u8, Peers = peers, PeerSize = 6 };
        KrpcWriter.WriteResponse(output, "xy"u8, Id, fields, requester);
        var bytes = output.WrittenSpan.ToArray();
        Assert.True(KrpcParser.TryParse(bytes, out var m, out _));
        Assert.Equal(KrpcMessageType.Response, m.Type);
        Assert.Equal(requester, m.ExternalAddress.ToArray());
        var decoded = CompactEncoding.ReadNodes(m.Nodes, CompactEncoding.NodeV4Size);
        Assert.Equal(new DhtNodeInfo(Target, new IPEndPoint(IPAddress.Parse("9.9.9.9"), 9)), Assert.Single(decoded));
        var values = new List<IPEndPoint>();
        foreach (var v in KrpcParser.EnumerateStrings(m.Values)) { Assert.True(CompactEncoding.TryReadPeer(v, out var p)); values.Add(p!); }
        Assert.Equal([new IPEndPoint(IPAddress.Parse("1.2.3.4"), 5678), new IPEndPoint(IPAddress.Parse("5.6.7.8"), 80)], values);

        var error = Write(o => KrpcWriter.WriteError(o, "xy"u8, KrpcErrorCode.Protocol, "bad token"u8));
        Assert.True(KrpcParser.TryParse(error, out m, out _));
        Assert.Equal(KrpcMessageType.Error, m.Type);
        Assert.Equal(203, m.ErrorCode);
        Assert.Equal("bad token", Encoding.UTF8.GetString(m.ErrorMessage));
    }

    [Theory]
    [InlineData("")]
    [InlineData("de")]
    [InlineData("le")]
    [InlineData("d1:t2:aae")]
    [InlineData("d1:t2:aa1:y1:qe")]
    [InlineData("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe")]
    [InlineData("d1:rd2:id20:abcdefghij0123456789e1:y1:re")]
    [InlineData("d1:rd2:id20:abcdefghij0123456789e1:t2:aa1:y1:zee")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qeXX")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t99:aa1:y1:qe")]
    public void Malformed_messages_are_refused_without_throwing(string text)
    {
        Assert.False(KrpcParser.TryParse(Encoding.Latin1.GetBytes(text), out _, out var error));
        Assert.NotEqual(KrpcParseError.None, error);
    }

    [Fact]
    public void Missing_id_keeps_the_transaction_id_for_an_error_reply()
    {
        Assert.False(KrpcParser.TryParse("d1:ad6:target20:abcdefghij0123456789e1:q9:find_node1:t2:zz1:y1:qe"u8, out var m, out var error));
        Assert.Equal(KrpcParseError.MissingField, error);
        Assert.Equal(KrpcMessageType.Query, m.Type);
        Assert.Equal("zz"u8.ToArray(), m.TransactionId.ToArray());
    }

    [Fact]
    public void Random_bytes_and_mutations_never_throw()
    {
        var random = new Random(12345);
        var seeds = new[]
        {
            Write(o => KrpcWriter.WriteGetPeers(o, "t2"u8, Id, Target, KrpcWant.Nodes4, scrape: true)),
            Write(o => KrpcWriter.WritePut(o, "t4"u8, Id, "tok"u8, "12:Hello World!"u8, new byte[32], new byte[64], 7, "salt"u8, 6)),
            "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"u8.ToArray(),
        };
        var parsed = 0;
        for (var i = 0; i < 50_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])seeds[i % seeds.Length].Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--) input[random.Next(input.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0) input = input[..random.Next(input.Length)];
            }
            if (KrpcParser.TryParse(input, out var message, out _))
            {
                parsed++;
                foreach (var _ in KrpcParser.EnumerateStrings(message.Values)) { }
            }
        }
        Assert.True(parsed > 0);
    }
}
