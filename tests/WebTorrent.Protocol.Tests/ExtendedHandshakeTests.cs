using System.Buffers;
using System.Text;

namespace WebTorrent.Protocol.Tests;

/// <summary>BEP 10 handshakes sent more than once: updates apply, and nothing grows with the count.</summary>
public class ExtendedHandshakeTests
{
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal) { "ut_metadata", "ut_pex" };

    private static ExtendedHandshake Parse(string bencoded, ExtendedHandshake? previous = null) =>
        ExtendedHandshake.Parse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(bencoded)), previous, Registered);

    [Fact]
    public void A_later_handshake_updates_and_removes_registered_mappings_and_keeps_the_others()
    {
        var first = Parse("d1:md11:ut_metadatai3e6:ut_pexi2eee");
        var second = Parse("d1:md11:ut_metadatai7eee", first);
        Assert.Equal(7, second.Extensions["ut_metadata"]);
        Assert.Equal(2, second.Extensions["ut_pex"]);
        var third = Parse("d1:md6:ut_pexi0eee", second);
        Assert.False(third.Extensions.ContainsKey("ut_pex"));
        Assert.Equal(7, third.Extensions["ut_metadata"]);
    }

    [Fact]
    public void Repeated_handshakes_with_new_names_do_not_grow_the_mappings()
    {
        var handshake = Parse("d1:md11:ut_metadatai3eee");
        for (var round = 0; round < 200; round++)
        {
            var m = new StringBuilder("d1:md");
            for (var i = 0; i < 50; i++)
            {
                var name = $"x_{round}_{i:D3}";
                m.Append(name.Length).Append(':').Append(name).Append("i1e");
            }
            handshake = Parse(m.Append("ee").ToString(), handshake);
        }
        // Unbounded merging held 10,001 names here.
        Assert.Equal(51, handshake.Extensions.Count);
        Assert.Equal(3, handshake.Extensions["ut_metadata"]);
    }

    [Fact]
    public void Without_names_to_carry_over_a_handshake_replaces_the_previous_one()
    {
        var first = ExtendedHandshake.Parse(new ReadOnlySequence<byte>("d1:md3:fooi1eee"u8.ToArray()));
        var second = ExtendedHandshake.Parse(new ReadOnlySequence<byte>("d1:md3:bari2eee"u8.ToArray()), first);
        Assert.Equal(["bar"], second.Extensions.Keys);
    }
}
