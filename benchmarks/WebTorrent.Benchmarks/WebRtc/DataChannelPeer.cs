using System.Diagnostics;
using System.Net;
using System.Text;
using WebRtc;
using WebRtc.DataChannels;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace WebTorrent.Benchmarks.WebRtc;

/// <summary>
/// Our side of benchmarks/datachannel-throughput.sh: a PeerConnection driven by lines on stdin, the same protocol
/// the script's Chromium pages speak, so every pair (C#-C#, C#-Chromium, Chromium-Chromium) is timed the same way.
/// In: <c>MAKEOFFER</c>, <c>OFFER b64</c>, <c>ANSWER b64</c>, <c>EXPECT bytes</c>, <c>SEND bytes</c>, <c>STATS</c>, <c>QUIT</c>.
/// Out: <c>OFFER b64</c> / <c>ANSWER b64</c>, <c>OPEN</c>, <c>RECEIVED bytes</c> (all expected bytes are in),
/// <c>SENT bytes</c>, <c>STATS json</c> (SCTP counters). Messages are 64 KiB of one random buffer; the receiver only counts them.
/// </summary>
internal static class DataChannelPeer
{
    private const int MessageSize = 64 << 10;

    public static async Task RunAsync()
    {
        var output = Console.Out;
        var gate = new object();
        void Say(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }

        var options = new PeerConnectionOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } };
        await using var pc = new PeerConnection(options);
        DataChannel? channel = null;
        long expected = long.MaxValue, received = 0;
        void Attach(DataChannel c)
        {
            channel = c;
            c.MessageReceived += (DataChannel _, in DataChannelMessage m) =>
            {
                var total = Interlocked.Add(ref received, m.Data.Length);
                if (total >= Interlocked.Read(ref expected) && total - m.Data.Length < expected) Say($"RECEIVED {total}");
            };
            if (c.State == DataChannelState.Open) Say("OPEN");
            else _ = c.WhenOpen.ContinueWith(_ => Say("OPEN"), TaskScheduler.Default);
        }
        pc.DataChannelOpened += (_, c) => Attach(c);
        var message = new byte[MessageSize];
        new Random(1).NextBytes(message);

        while (await Console.In.ReadLineAsync() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var command = space < 0 ? line : line[..space];
            var argument = space < 0 ? "" : line[(space + 1)..];
            switch (command)
            {
                case "MAKEOFFER":
                    Attach(pc.CreateDataChannel("bulk"));
                    var offer = await pc.CreateOfferAsync();
                    await pc.SetLocalDescriptionAsync(offer);
                    Say("OFFER " + Convert.ToBase64String(Encoding.UTF8.GetBytes(offer.ToString())));
                    break;
                case "OFFER":
                    await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(argument)), SdpType.Offer));
                    var answer = await pc.CreateAnswerAsync();
                    await pc.SetLocalDescriptionAsync(answer);
                    Say("ANSWER " + Convert.ToBase64String(Encoding.UTF8.GetBytes(answer.ToString())));
                    break;
                case "ANSWER":
                    await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(argument)), SdpType.Answer));
                    break;
                case "EXPECT":
                    Interlocked.Exchange(ref received, 0);
                    Interlocked.Exchange(ref expected, long.Parse(argument, System.Globalization.CultureInfo.InvariantCulture));
                    Say("EXPECTING");
                    break;
                case "SEND":
                    var total = long.Parse(argument, System.Globalization.CultureInfo.InvariantCulture);
                    var c = channel ?? throw new InvalidOperationException("no channel");
                    for (long sent = 0; sent < total; sent += MessageSize) await c.SendAsync(message.AsMemory(0, (int)Math.Min(MessageSize, total - sent)));
                    Say($"SENT {total}");
                    break;
                case "CPU":
                    using (var self = Process.GetCurrentProcess()) Say($"CPU {self.TotalProcessorTime.TotalMilliseconds:F0}");
                    break;
                case "STATS":
                    Say("STATS " + (pc.Sctp is { } sctp ? System.Text.Json.JsonSerializer.Serialize(sctp.GetStatistics()) : "none"));
                    break;
                case "QUIT":
                    return;
            }
        }
    }
}
