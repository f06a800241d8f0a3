using System.Security.Cryptography;
using System.Text;
using WebRtc.Ice;
using WebRtc.Ice.Turn;

namespace WebRtc.Tests.Ice.Turn;

public class LongTermCredentialsTests
{
    private static TurnAttributes Challenge(int code, string? realm, string? nonce)
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.ErrorResponse, StunMethod.Allocate, StunTransactionId.NewRandom());
        w.AddErrorCode(code, "x");
        if (realm is not null) w.AddRealm(realm);
        if (nonce is not null) w.AddNonce(nonce);
        return TurnAttributes.Read(w.Written);
    }

    [Fact]
    public void Key_is_md5_of_username_realm_password()
    {
        Assert.Equal(MD5.HashData(Encoding.UTF8.GetBytes("u:test:p")), LongTermCredentials.ComputeKey("u", "test", "p"));
    }

    [Fact]
    public void Signs_only_after_a_challenge_and_follows_stale_nonces()
    {
        var credentials = new LongTermCredentials("u", "p");
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Allocate, StunTransactionId.NewRandom());
        credentials.Sign(ref w);
        Assert.False(StunMessage.Parse(w.Written).HasMessageIntegrity);

        Assert.False(credentials.TryAcceptChallenge(401, Challenge(401, "test", null))); // no nonce: nothing to retry with
        Assert.True(credentials.TryAcceptChallenge(401, Challenge(401, "test", "n1")));
        w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Allocate, StunTransactionId.NewRandom());
        credentials.Sign(ref w);
        var signed = w.Written.ToArray();
        var m = StunMessage.Parse(signed);
        Assert.Equal("u", m.Username);
        Assert.Equal("n1", TurnAttributes.Read(signed).Nonce);
        Assert.True(m.VerifyMessageIntegrity(signed, LongTermCredentials.ComputeKey("u", "test", "p")));

        // A second 401 with the same realm and nonce means the password is wrong: no retry.
        Assert.False(credentials.TryAcceptChallenge(401, Challenge(401, "test", "n1")));
        // 438 brings a fresh nonce (the realm may be left out).
        Assert.True(credentials.TryAcceptChallenge(438, Challenge(438, null, "n2")));
        Assert.Equal("n2", credentials.Nonce);
        Assert.Equal("test", credentials.Realm);
        Assert.False(credentials.TryAcceptChallenge(403, Challenge(403, "test", "n3")));
    }
}
