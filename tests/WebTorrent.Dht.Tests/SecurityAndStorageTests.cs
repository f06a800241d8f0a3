using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Dht.Security;
using WebTorrent.Dht.Storage;

namespace WebTorrent.Dht.Tests;

public class SecurityAndStorageTests
{
    [Theory]
    [InlineData("124.31.75.21", "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")]
    [InlineData("21.75.31.124", "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256")]
    [InlineData("65.23.51.170", "a5d43220bc8f112a3d426c84764f8c2a1150e616")]
    [InlineData("84.124.73.14", "1b0321dd1bb1fe518101ceef99462b947a01ff41")]
    [InlineData("43.213.53.83", "e56f6cbf5b7c4be0237986d5243b87aa6d51305a")]
    public void Bep42_test_vectors_verify(string ip, string id)
    {
        var address = IPAddress.Parse(ip);
        Assert.True(SecureNodeId.IsValid(NodeId.Parse(id), address));
        var wrong = NodeId.Parse((id[0] == 'f' ? "0" : "f") + id[1..]);
        Assert.False(SecureNodeId.IsValid(wrong, address));
        var bytes = Convert.FromHexString(id);
        Assert.Equal(bytes, SecureNodeId.Create(address, bytes[19], bytes.AsSpan(2, 17)).ToArray());
    }

    [Fact]
    public void Generated_secure_ids_verify_and_local_addresses_are_exempt()
    {
        var random = new Random(7);
        foreach (var ip in new[] { "203.0.113.9", "2001:db8::1", "8.8.8.8" })
        {
            var address = IPAddress.Parse(ip);
            for (var i = 0; i < 20; i++) Assert.True(SecureNodeId.IsValid(SecureNodeId.Create(address, random), address));
        }
        Assert.True(SecureNodeId.IsValid(NodeId.CreateRandom(random), IPAddress.Loopback));
        Assert.True(SecureNodeId.IsValid(NodeId.CreateRandom(random), IPAddress.Parse("192.168.1.1")));
    }

    private const string PublicKeyHex = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";

    [Fact]
    public void Bep44_mutable_test_vectors_verify()
    {
        var key = Convert.FromHexString(PublicKeyHex);
        var value = "12:Hello World!"u8.ToArray();
        var signature1 = Convert.FromHexString("305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01");
        Assert.True(Bep44.Verify(key, [], 1, value, signature1));
        Assert.False(Bep44.Verify(key, [], 2, value, signature1));
        Assert.Equal(NodeId.Parse("4a533d47ec9c7d95b1ad75f576cffc641853b750"), Bep44.MutableTarget(key, []));
        var signature2 = Convert.FromHexString("6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08");
        Assert.True(Bep44.Verify(key, "foobar"u8, 1, value, signature2));
        Assert.Equal(NodeId.Parse("411eba73b6f087ca51a3795d9c8c938d365e32c1"), Bep44.MutableTarget(key, "foobar"u8));
        Assert.Equal(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb"), Bep44.ImmutableTarget(value));
    }

    [Fact]
    public void Bep44_items_sign_and_verify()
    {
        var privateKey = DhtMutableItem.CreatePrivateKey();
        var item = DhtMutableItem.Create(privateKey, "4:spam"u8, 3, "salt"u8);
        Assert.True(item.Verify());
        Assert.Equal(DhtMutableItem.GetPublicKey(privateKey), item.PublicKey);
        Assert.False((item with { Sequence = 4 }).Verify());
        Assert.Throws<ArgumentException>(() => DhtMutableItem.Create(privateKey, "not bencode"u8, 1));
        Assert.Throws<ArgumentException>(() => DhtMutableItem.Create(privateKey, new byte[1001], 1));
    }

    [Fact]
    public void Scrape_bloom_filter_estimates_counts()
    {
        var filter = new byte[ScrapeBloomFilter.Size];
        for (var i = 0; i < 100; i++) ScrapeBloomFilter.Insert(filter, new IPAddress(new byte[] { 192, 0, (byte)(i >> 8), (byte)i }));
        Assert.InRange(ScrapeBloomFilter.Estimate(filter), 85, 115);
        Assert.Equal(0, ScrapeBloomFilter.Estimate(new byte[ScrapeBloomFilter.Size]));
    }

    [Fact]
    public void Peer_store_expires_and_bounds()
    {
        var time = new FakeTimeProvider();
        var store = new PeerStore(time, TimeSpan.FromMinutes(30), maxPerInfoHash: 3, maxTotal: 5, maxPerAddress: 1);
        var a = NodeId.CreateRandom(new Random(1));
        var b = NodeId.CreateRandom(new Random(2));
        for (var i = 0; i < 5; i++) store.Add(a, new IPEndPoint(IPAddress.Parse("1.1.1." + i), 1), false);
        Assert.Equal(3, store.Get(a).Count);
        for (var i = 0; i < 5; i++) store.Add(b, new IPEndPoint(IPAddress.Parse("2.2.2." + i), 1), false);
        Assert.True(store.Count <= 5);
        time.Advance(TimeSpan.FromMinutes(31));
        Assert.Empty(store.Get(a));
        Assert.Empty(store.Get(b));
    }

    [Fact]
    public void One_address_varying_its_port_keeps_one_peer_per_info_hash()
    {
        // Audit finding 6 (issue 18): one IP stored 48 peers for a hash by varying the port.
        var time = new FakeTimeProvider();
        var store = new PeerStore(time, TimeSpan.FromMinutes(30), maxPerInfoHash: 200, maxTotal: 10_000, maxPerAddress: 1);
        var hash = NodeId.CreateRandom(new Random(3));
        store.Add(hash, new IPEndPoint(IPAddress.Parse("9.9.9.9"), 6881), seed: false);
        for (var port = 1000; port < 1048; port++) store.Add(hash, new IPEndPoint(IPAddress.Parse("6.6.6.6"), port), seed: false);
        var peers = store.Get(hash);
        Assert.Equal(2, peers.Count);
        Assert.Equal(2, store.Count);
        Assert.Contains(new IPEndPoint(IPAddress.Parse("6.6.6.6"), 1047), peers); // the latest announcement wins
        Assert.Contains(new IPEndPoint(IPAddress.Parse("9.9.9.9"), 6881), peers);
    }

    [Fact]
    public void The_per_address_bound_is_an_option()
    {
        var store = new PeerStore(new FakeTimeProvider(), TimeSpan.FromMinutes(30), maxPerInfoHash: 200, maxTotal: 10_000, maxPerAddress: 3);
        var hash = NodeId.CreateRandom(new Random(4));
        for (var port = 1; port <= 10; port++) store.Add(hash, new IPEndPoint(IPAddress.Parse("6.6.6.6"), port), seed: false);
        Assert.Equal([8, 9, 10], store.Get(hash).Select(p => p.Port).Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DhtNodeOptions { MaxPeersPerAddressPerInfoHash = 0 }.Validate());
    }

    [Fact]
    public void Tokens_rotate_and_expire()
    {
        var time = new FakeTimeProvider();
        var tokens = new TokenManager(time, TimeSpan.FromMinutes(5));
        var peer = new IPEndPoint(IPAddress.Parse("1.2.3.4"), 1);
        var token = new byte[TokenManager.TokenLength];
        tokens.Generate(peer, token);
        Assert.True(tokens.Validate(peer, token));
        Assert.False(tokens.Validate(new IPEndPoint(IPAddress.Parse("1.2.3.5"), 1), token));
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.True(tokens.Validate(peer, token));
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.False(tokens.Validate(peer, token));
    }

    [Fact]
    public void State_round_trips()
    {
        var id = NodeId.CreateRandom(new Random(1));
        var nodes = new List<DhtNodeInfo>
        {
            new(NodeId.CreateRandom(new Random(2)), new IPEndPoint(IPAddress.Parse("1.2.3.4"), 6881)),
            new(NodeId.CreateRandom(new Random(3)), new IPEndPoint(IPAddress.Parse("2001:db8::5"), 6882)),
        };
        var state = DhtNodeState.Parse(new DhtNodeState(id, nodes).ToBencode());
        Assert.Equal(id, state.Id);
        Assert.Equal(nodes, state.Nodes);
        Assert.Throws<Bencode.BencodeException>(() => DhtNodeState.Parse("de"u8.ToArray()));
    }
}
