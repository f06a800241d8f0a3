using System.Text;
using System.Text.Json;

namespace WebTorrent.Tracker.Tests;

/// <summary>
/// <see cref="WebSocketTrackerClient"/> against a hand-written hostile tracker (<see cref="RawWebSocketServer"/>): every kind of
/// malformed message a swarm peer can get relayed to it is logged, reported and skipped, and the client keeps answering
/// offers, taking answers and announcing; a socket it stops reading is closed before it reconnects.
/// </summary>
public sealed class WebSocketTrackerClientHostileTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly byte[] InfoHash = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
    private static readonly byte[] OurPeerId = Enumerable.Repeat((byte)'o', 20).ToArray();
    private static readonly string InfoHashText = Encoding.Latin1.GetString(InfoHash);
    private static readonly string Remote = new('r', 20);

    private static (WebSocketTrackerClient Client, List<TrackerErrorEventArgs> Errors) Create(RawWebSocketServer server, MarkerPeerFactory factory,
        RecordingLoggerFactory logs, int maxMessageSize = 256 * 1024)
    {
        var client = new WebSocketTrackerClient(server.Uri, factory, new WebSocketTrackerClientOptions
        {
            LoggerFactory = logs,
            MinReconnectDelay = TimeSpan.FromMilliseconds(20),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            ResponseTimeout = Timeout,
            MaxMessageSize = maxMessageSize,
        });
        var errors = new List<TrackerErrorEventArgs>();
        client.Error += (_, e) =>
        {
            lock (errors) errors.Add(e);
        };
        return (client, errors);
    }

    private static AnnounceRequest Request(int numWant = 1) => new()
    {
        InfoHash = InfoHash, PeerId = OurPeerId, Left = 100, NumWant = numWant, Event = TrackerEvent.Started,
    };

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static string AnnounceReply() => $"{{\"action\":\"announce\",\"interval\":120,\"info_hash\":{Json(InfoHashText)},\"complete\":1,\"incomplete\":2}}";

    private static string RelayedOffer(string offerIdJson, string offerJson, string? peerId = null) =>
        $"{{\"action\":\"announce\",\"offer\":{offerJson},\"offer_id\":{offerIdJson},\"peer_id\":{Json(peerId ?? Remote)},\"info_hash\":{Json(InfoHashText)}}}";

    private static string Answer(string offerIdJson, string answerJson) =>
        $"{{\"action\":\"announce\",\"answer\":{answerJson},\"offer_id\":{offerIdJson},\"peer_id\":{Json(Remote)},\"info_hash\":{Json(InfoHashText)}}}";

    /// <summary>
    /// Announces; the tracker side reads it on <paramref name="tracker"/> (or on the next connection accepted when null) and
    /// replies. Returns that connection and the offer ids sent.
    /// </summary>
    private static async Task<(RawWebSocketConnection Tracker, List<string> OfferIds)> AnnounceAsync(WebSocketTrackerClient client,
        RawWebSocketServer server, RawWebSocketConnection? tracker = null, int numWant = 1)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var announce = client.AnnounceAsync(Request(numWant), cts.Token);
        tracker ??= await server.AcceptAsync();
        var offerIds = await ReadAnnounceAsync(tracker);
        await tracker.SendTextAsync(AnnounceReply());
        var response = await announce;
        Assert.Equal(2, response.Incomplete);
        return (tracker, offerIds);
    }

    private static async Task<List<string>> ReadAnnounceAsync(RawWebSocketConnection tracker)
    {
        var text = await tracker.ReceiveTextAsync();
        Assert.NotNull(text);
        using var message = JsonDocument.Parse(text);
        Assert.Equal("announce", message.RootElement.GetProperty("action").GetString());
        return message.RootElement.TryGetProperty("offers", out var offers)
            ? offers.EnumerateArray().Select(o => o.GetProperty("offer_id").GetString()!).ToList()
            : [];
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Every_malformed_relayed_message_is_logged_and_skipped_and_the_client_keeps_working()
    {
        await using var server = new RawWebSocketServer();
        var factory = new MarkerPeerFactory();
        var logs = new RecordingLoggerFactory();
        var (client, errors) = Create(server, factory, logs);
        await using var owned = client;
        var (tracker, offerIds) = await AnnounceAsync(client, server);
        Assert.Single(offerIds);
        var ourOffer = Json(offerIds[0]);
        var validOfferId = Json(new string('v', 20));

        var hostile = new List<(byte Opcode, byte[] Payload)>();
        void AddText(string json) => hostile.Add((RawWebSocketConnection.Text, Encoding.UTF8.GetBytes(json)));
        // The 182-byte announce of the issue, as the tracker relays it: an offer without sdp.
        AddText(RelayedOffer(validOfferId, "{\"type\":\"offer\"}"));
        AddText(RelayedOffer("12345", "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));                       // numeric offer_id
        AddText(RelayedOffer("null", "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
        AddText(RelayedOffer("\"\\ud800 lone surrogate....\"", "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
        AddText(RelayedOffer(validOfferId, "{\"type\":\"offer\",\"sdp\":\"\\udc00\"}"));
        AddText(RelayedOffer(validOfferId, "\"offer\""));                                            // offer not an object
        AddText(RelayedOffer(validOfferId, "{\"type\":1,\"sdp\":\"v=0\"}"));
        AddText(RelayedOffer(validOfferId, "{\"type\":\"offer\",\"sdp\":\"v=0\"}", peerId: "short"));
        AddText(Answer(ourOffer, "{\"type\":\"answer\"}"));                                          // our real offer id, no sdp
        AddText(Answer("7", "{\"type\":\"answer\",\"sdp\":\"v=0\"}"));
        AddText(Answer(ourOffer, "[]"));
        AddText("[1,2,3]");
        AddText("\"just a string\"");
        AddText("{not json");
        AddText(new string('[', 200) + new string(']', 200));                                       // deeper than the reader allows
        AddText($"{{\"action\":\"announce\",\"info_hash\":12,\"offer\":{{}}}}");
        // Invalid UTF-8 inside strings, in binary frames (a text frame must be valid UTF-8: see the next test).
        var badUtf8 = Encoding.UTF8.GetBytes(RelayedOffer(validOfferId, "{\"type\":\"offer\",\"sdp\":\"v=0 XX\"}"));
        var at = badUtf8.AsSpan().IndexOf("XX"u8);
        badUtf8[at] = 0xFF;
        badUtf8[at + 1] = 0xC0;
        hostile.Add((RawWebSocketConnection.Binary, badUtf8));
        var badId = Encoding.UTF8.GetBytes(RelayedOffer("\"XX\"", "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
        at = badId.AsSpan().IndexOf("XX"u8);
        badId[at] = 0xED; // an encoded surrogate: not UTF-8
        badId[at + 1] = 0xA0;
        hostile.Add((RawWebSocketConnection.Binary, badId));

        foreach (var (opcode, payload) in hostile) await tracker.SendAsync(opcode, payload);

        // A valid offer after all that is answered on the same socket...
        await tracker.SendTextAsync(RelayedOffer(validOfferId, "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nVALID\"}"));
        var answerText = await tracker.ReceiveTextAsync();
        Assert.NotNull(answerText);
        using (var answer = JsonDocument.Parse(answerText))
        {
            Assert.Equal(Remote, answer.RootElement.GetProperty("to_peer_id").GetString());
            Assert.Equal(new string('v', 20), answer.RootElement.GetProperty("offer_id").GetString());
            Assert.Equal("v=0\r\nANSWER TO v=0\r\nVALID", answer.RootElement.GetProperty("answer").GetProperty("sdp").GetString());
        }
        Assert.Single(factory.OffersAnswered); // none of the malformed offers reached the factory

        // ...the malformed answers did not use up our pending offer: the valid one is taken...
        await tracker.SendTextAsync(Answer(ourOffer, "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nREMOTE\"}"));
        await WaitForAsync(() => !factory.AnswersAccepted.IsEmpty);
        Assert.Equal("v=0\r\nREMOTE", factory.AnswersAccepted.Single().Answer.Sdp);

        // ...and announces still get their replies, all on the first socket.
        await AnnounceAsync(client, server, tracker, numWant: 0);
        Assert.Equal(1, server.ConnectionCount);
        Assert.True(client.IsConnected);
        lock (errors)
        {
            Assert.Equal(hostile.Count, errors.Count);
            Assert.All(errors, e => Assert.IsType<TrackerException>(e.Error));
        }
        Assert.Equal(hostile.Count, logs.Warnings.Count(w => w.Contains("malformed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_socket_the_client_stops_reading_is_closed_and_a_fresh_one_re_announces()
    {
        await using var server = new RawWebSocketServer();
        var factory = new MarkerPeerFactory();
        var logs = new RecordingLoggerFactory();
        var (client, errors) = Create(server, factory, logs, maxMessageSize: 1024);
        await using var owned = client;
        var (first, _) = await AnnounceAsync(client, server);

        // Larger than MaxMessageSize: the client stops reading this socket, so it must close it rather than reuse it.
        await first.SendTextAsync(RelayedOffer(Json(new string('v', 20)), Json(new { type = "offer", sdp = new string('x', 4096) })));
        Assert.Null(await first.ReceiveTextAsync());

        var second = await server.AcceptAsync();
        Assert.Single(await ReadAnnounceAsync(second)); // the re-announce carries a fresh offer
        await second.SendTextAsync(AnnounceReply());
        await second.SendTextAsync(RelayedOffer(Json(new string('w', 20)), "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
        var answerText = await second.ReceiveTextAsync();
        Assert.Contains("ANSWER TO v=0", answerText, StringComparison.Ordinal);
        await AnnounceAsync(client, server, second, numWant: 0);
        Assert.Equal(2, server.ConnectionCount);
        lock (errors) Assert.Contains(errors, e => e.Error.Message.Contains("larger than 1024", StringComparison.Ordinal));
        Assert.Contains(logs.Warnings, w => w.Contains("reconnecting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_text_frame_that_is_not_utf8_never_silences_the_client()
    {
        await using var server = new RawWebSocketServer();
        var factory = new MarkerPeerFactory();
        var logs = new RecordingLoggerFactory();
        var (client, errors) = Create(server, factory, logs);
        await using var owned = client;
        var (first, _) = await AnnounceAsync(client, server);

        var bad = Encoding.UTF8.GetBytes(RelayedOffer(Json(new string('v', 20)), "{\"type\":\"offer\",\"sdp\":\"v=0 XX\"}"));
        var at = bad.AsSpan().IndexOf("XX"u8);
        bad[at] = 0xFF;
        bad[at + 1] = 0xFE;
        await first.SendAsync(RawWebSocketConnection.Text, bad);
        // RFC 6455 (8.1): the client fails that connection (.NET's WebSocket checks text frames)...
        Assert.Null(await first.ReceiveTextAsync());

        // ...and comes back on a fresh one, re-announces, and answers offers again.
        var second = await server.AcceptAsync();
        Assert.Single(await ReadAnnounceAsync(second));
        await second.SendTextAsync(AnnounceReply());
        await second.SendTextAsync(RelayedOffer(Json(new string('w', 20)), "{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
        Assert.Contains("ANSWER TO v=0", await second.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Equal(2, server.ConnectionCount);
        lock (errors) Assert.Contains(errors, e => e.Error is System.Net.WebSockets.WebSocketException);
    }

    [Fact]
    public async Task A_failing_peer_factory_is_reported_and_skipped()
    {
        await using var server = new RawWebSocketServer();
        var factory = new MarkerPeerFactory { OffersToFail = 1, AnswersToFail = 1 };
        var logs = new RecordingLoggerFactory();
        var (client, errors) = Create(server, factory, logs);
        await using var owned = client;

        // The announce still goes out, without the offer the factory could not make.
        var (tracker, offerIds) = await AnnounceAsync(client, server, numWant: 3);
        Assert.Empty(offerIds);
        lock (errors) Assert.Contains(errors, e => e.Error.Message == "factory failure (offer)" && e.InfoHashHex == Convert.ToHexStringLower(InfoHash));

        // The first relayed offer meets a failing factory (reported, no answer); the next one is answered.
        await tracker.SendTextAsync(RelayedOffer(Json(new string('1', 20)), "{\"type\":\"offer\",\"sdp\":\"v=0 ONE\"}"));
        await WaitForAsync(() => { lock (errors) return errors.Any(e => e.Error.Message == "factory failure (answer)"); });
        await tracker.SendTextAsync(RelayedOffer(Json(new string('2', 20)), "{\"type\":\"offer\",\"sdp\":\"v=0 TWO\"}"));
        using (var answer = JsonDocument.Parse((await tracker.ReceiveTextAsync())!))
        {
            Assert.Equal(new string('2', 20), answer.RootElement.GetProperty("offer_id").GetString());
        }

        // And the factory, working again, offers on the next announce.
        var (_, next) = await AnnounceAsync(client, server, tracker, numWant: 2);
        Assert.Equal(2, next.Count);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(2, logs.Warnings.Count(w => w.Contains("factory", StringComparison.Ordinal) || w.Contains("answer an offer", StringComparison.Ordinal)));
    }
}
