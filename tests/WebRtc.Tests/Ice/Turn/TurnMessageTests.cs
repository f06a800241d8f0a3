using System.Net;
using System.Text;
using WebRtc.Ice;
using WebRtc.Ice.Turn;

namespace WebRtc.Tests.Ice.Turn;

public class TurnMessageTests
{
    // RFC 5769 section 2.4: sample request with long-term authentication (no FINGERPRINT).
    private const string LongTermRequest =
        "000100602112a44278ad3433c6ad72c029da412e" +
        "00060012e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c662f2f3439396b39353464364f4c33346f4c39465354767936347341" +
        "0014000b6578616d706c652e6f726700" +
        "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666";

    private const string LongTermUsername = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";

    [Fact]
    public void Rfc5769_long_term_request_authenticates_with_md5_of_username_realm_password()
    {
        var bytes = Convert.FromHexString(LongTermRequest);
        var m = StunMessage.Parse(bytes);
        var turn = TurnAttributes.Read(bytes);
        Assert.Equal(LongTermUsername, m.Username);
        Assert.Equal("example.org", turn.Realm);
        Assert.Equal("f//499k954d6OL34oL9FSTvy64sA", turn.Nonce);
        // The password after SASLprep: "The<U+00AD>M<U+00AA>tr<U+2168>" becomes "TheMatrIX".
        var key = LongTermCredentials.ComputeKey(LongTermUsername, "example.org", "TheMatrIX");
        Assert.True(m.VerifyMessageIntegrity(bytes, key));
        Assert.False(m.VerifyMessageIntegrity(bytes, LongTermCredentials.ComputeKey(LongTermUsername, "example.org", "TheMatrix")));
        Assert.False(m.VerifyMessageIntegrity(bytes, Encoding.UTF8.GetBytes("TheMatrIX"))); // a short-term key is not it
    }

    [Fact]
    public void Allocate_request_and_response_attributes_round_trip()
    {
        var id = StunTransactionId.NewRandom();
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Allocate, id);
        w.AddRequestedTransportUdp();
        w.AddLifetime(TimeSpan.FromSeconds(600));
        var request = w.Written.ToArray();
        var m = StunMessage.Parse(request);
        Assert.Equal(StunMethod.Allocate, m.Method);
        Assert.Equal(StunClass.Request, m.Class);
        Assert.Equal((ushort)0x0003, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(request));
        var attributes = TurnAttributes.Read(request);
        Assert.Equal((byte)17, attributes.RequestedTransport);
        Assert.Equal(TimeSpan.FromSeconds(600), attributes.Lifetime);
        Assert.Equal("00190004" + "11000000", Convert.ToHexStringLower(request.AsSpan(20, 8)));

        var relayed = new IPEndPoint(IPAddress.Parse("192.0.2.15"), 50123);
        var v6Peer = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 3479);
        w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Allocate, id);
        w.AddXorRelayedAddress(relayed);
        w.AddXorPeerAddress(v6Peer);
        w.AddLifetime(TimeSpan.FromSeconds(3600));
        var response = w.Written.ToArray();
        Assert.Equal((ushort)0x0103, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(response));
        var read = TurnAttributes.Read(response);
        Assert.Equal(relayed, read.XorRelayedAddress);
        Assert.Equal(v6Peer, read.XorPeerAddress);
        Assert.Equal(TimeSpan.FromHours(1), read.Lifetime);
        // XOR-RELAYED-ADDRESS is XOR-ed with the cookie: the port 50123 (0xC3CB) is written as 0xC3CB ^ 0x2112.
        Assert.Equal("00160008" + "0001e2d9", Convert.ToHexStringLower(response.AsSpan(20, 8)));
    }

    [Fact]
    public void Channel_number_and_data_round_trip_with_padding()
    {
        var buffer = new byte[256];
        var peer = new IPEndPoint(IPAddress.Parse("198.51.100.2"), 4000);
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.ChannelBind, StunTransactionId.NewRandom());
        w.AddChannelNumber(0x4001);
        w.AddXorPeerAddress(peer);
        var bind = TurnAttributes.Read(w.Written);
        Assert.Equal((ushort)0x4001, bind.ChannelNumber);
        Assert.Equal(peer, bind.XorPeerAddress);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var bad = new StunMessageWriter(new byte[64], StunClass.Request, StunMethod.ChannelBind, StunTransactionId.NewRandom());
            bad.AddChannelNumber(0x3FFF);
        });

        w = new StunMessageWriter(buffer, StunClass.Indication, StunMethod.Send, StunTransactionId.NewRandom());
        w.AddXorPeerAddress(peer);
        w.AddData("hello"u8);
        var indication = w.Written.ToArray();
        Assert.Equal(0, indication.Length % 4);
        var m = StunMessage.Parse(indication);
        Assert.Equal(StunClass.Indication, m.Class);
        Assert.Equal(StunMethod.Send, m.Method);
        var data = TurnAttributes.Read(indication).Data!.Value;
        Assert.Equal("hello"u8.ToArray(), indication[data]);
    }

    [Fact]
    public void Bad_turn_attributes_are_format_errors()
    {
        byte[] With(ushort type, byte[] value)
        {
            var buffer = new byte[1024];
            var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.ChannelBind, StunTransactionId.NewRandom());
            w.AddAttribute(type, value);
            return w.Written.ToArray();
        }
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(TurnAttributeType.Lifetime, [0, 0, 1])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(TurnAttributeType.ChannelNumber, [0x50, 0x00, 0, 0])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(TurnAttributeType.ChannelNumber, [0x40, 0x00])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(TurnAttributeType.XorRelayedAddress, [0, 1, 0, 0, 1])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(TurnAttributeType.RequestedTransport, [17])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(With(StunAttributeType.Nonce, new byte[764])));
        Assert.Throws<StunFormatException>(() => TurnAttributes.Read(new byte[8]));
    }

    [Theory]
    [InlineData(401, "Unauthorized")]
    [InlineData(437, "Allocation Mismatch")]
    [InlineData(438, "Stale Nonce")]
    [InlineData(441, "Wrong Credentials")]
    [InlineData(486, "Allocation Quota Reached")]
    [InlineData(508, "Insufficient Capacity")]
    public void Error_responses_carry_code_reason_realm_and_nonce(int code, string reason)
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.ErrorResponse, StunMethod.Refresh, StunTransactionId.NewRandom());
        w.AddErrorCode(code, reason);
        w.AddRealm("realm");
        w.AddNonce("n0nce");
        var bytes = w.Written.ToArray();
        var m = StunMessage.Parse(bytes);
        Assert.Equal(StunClass.ErrorResponse, m.Class);
        Assert.Equal(StunMethod.Refresh, m.Method);
        Assert.Equal(code, m.ErrorCode);
        Assert.Equal(reason, m.ErrorReason);
        var attributes = TurnAttributes.Read(bytes);
        Assert.Equal("realm", attributes.Realm);
        Assert.Equal("n0nce", attributes.Nonce);
    }

    [Fact]
    public void Attributes_after_message_integrity_are_ignored()
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Refresh, StunTransactionId.NewRandom());
        w.AddLifetime(TimeSpan.FromSeconds(60));
        w.AddMessageIntegrity(new byte[16]);
        w.AddLifetime(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(60), TurnAttributes.Read(w.Written).Lifetime);
    }
}
