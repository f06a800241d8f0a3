using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WebRtc.Ice.Turn;
using WebTorrent.TestSupport;

namespace Interop.Tests.WebRtc;

/// <summary>Debian's coturn <c>turnserver</c> on a free loopback port, with one static long-term user; killed on dispose.</summary>
internal sealed class Coturn : IAsyncDisposable
{
    public const string Username = "u";
    public const string Password = "p";
    public const string Realm = "test";

    private readonly ExternalProcess _process;
    private readonly string _directory;

    private Coturn(ExternalProcess process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    /// <summary>Where it listens (UDP).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The server as our TURN client takes it.</summary>
    public TurnServer Server => new(EndPoint, Username, Password);

    /// <summary>The <c>turn:</c> URL of the server.</summary>
    public string Url => $"turn:127.0.0.1:{EndPoint.Port}?transport=udp";

    /// <summary>Everything coturn has logged so far.</summary>
    public string Log
    {
        get
        {
            try
            {
                using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                return new StreamReader(stream).ReadToEnd();
            }
            catch (FileNotFoundException)
            {
                return "";
            }
        }
    }

    // coturn buffers its stdout when it is not a terminal; its log file is written line by line.
    private string LogPath => Path.Combine(_directory, "turnserver.log");

    /// <summary>Starts turnserver; <paramref name="maxAllocateLifetime"/> caps the lifetime it grants.</summary>
    public static async Task<Coturn> StartAsync(int maxAllocateLifetime = 3600)
    {
        var turnserver = TestNetwork.RequireExecutable("/usr/bin/turnserver");
        var directory = Directory.CreateTempSubdirectory("coturn-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
        var process = ExternalProcess.Start(turnserver,
        [
            "-n", "--no-cli", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", Text(port),
            "--allow-loopback-peers", "--user", $"{Username}:{Password}", "--realm", Realm, "--lt-cred-mech",
            "--no-tls", "--no-dtls", "--no-tcp", "--fingerprint", "--verbose",
            "--max-allocate-lifetime=" + Text(maxAllocateLifetime),
            "--log-file", Path.Combine(directory, "turnserver.log"), "--simple-log",
            "--pidfile", Path.Combine(directory, "turnserver.pid"), "--userdb", Path.Combine(directory, "turndb"),
        ], directory);
        var coturn = new Coturn(process, directory, new IPEndPoint(IPAddress.Loopback, port));
        try
        {
            await coturn.WaitForLogAsync(TimeSpan.FromSeconds(20), "Total General servers");
            await Task.Delay(200); // the listener threads start right after that line
            return coturn;
        }
        catch
        {
            await coturn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until coturn logs a line containing every one of <paramref name="parts"/>.</summary>
    public async Task<string> WaitForLogAsync(TimeSpan timeout, params string[] parts)
    {
        var end = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = Log.Split('\n').FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null) return line;
            if (DateTime.UtcNow > end) throw new TimeoutException($"coturn never logged [{string.Join(", ", parts)}]. Log:\n{Log}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
