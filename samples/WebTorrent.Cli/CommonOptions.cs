using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;

namespace WebTorrent.Cli;

/// <summary>Options every client command shares, and the client options they make.</summary>
internal sealed class CommonOptions
{
    public Option<int> Port { get; } = new("--port", "-p")
    {
        Description = "TCP port to listen on for incoming peers (0: any free port).",
        DefaultValueFactory = _ => 0,
    };

    public Option<string> Address { get; } = new("--address")
    {
        Description = "Address to listen on (default: all IPv4 addresses).",
        DefaultValueFactory = _ => "0.0.0.0",
    };

    public Option<bool> NoDht { get; } = new("--no-dht") { Description = "Do not use the DHT." };

    public Option<bool> NoTrackers { get; } = new("--no-trackers") { Description = "Do not announce to trackers." };

    public Option<bool> NoPex { get; } = new("--no-pex") { Description = "Do not exchange peers (ut_pex)." };

    public Option<bool> NoLocalDiscovery { get; } = new("--no-lsd") { Description = "No local service discovery (BEP 14)." };

    public Option<bool> Sparse { get; } = new("--sparse") { Description = "Create sparse files instead of reserving their disk space up front." };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print no progress lines." };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log the engine's messages to stderr." };

    public void AddTo(Command command)
    {
        command.Options.Add(Port);
        command.Options.Add(Address);
        command.Options.Add(NoDht);
        command.Options.Add(NoTrackers);
        command.Options.Add(NoPex);
        command.Options.Add(NoLocalDiscovery);
        command.Options.Add(Sparse);
        command.Options.Add(Quiet);
        command.Options.Add(Verbose);
    }

    public WebTorrentClientOptions CreateClientOptions(ParseResult result, string downloadFolder)
    {
        var address = result.GetValue(Address)!;
        if (!IPAddress.TryParse(address, out var listenAddress))
            throw new CommandLineException($"--address: '{address}' is not an IP address.");
        var port = result.GetValue(Port);
        if (port is < 0 or > 65535) throw new CommandLineException($"--port: {port} is not a TCP port.");
        return new WebTorrentClientOptions
        {
            DownloadFolder = downloadFolder,
            ListenAddress = listenAddress,
            ListenPort = port,
            EnableDht = !result.GetValue(NoDht),
            EnableTrackers = !result.GetValue(NoTrackers),
            EnablePex = !result.GetValue(NoPex),
            EnableLocalDiscovery = !result.GetValue(NoLocalDiscovery),
            AllocateDiskSpace = !result.GetValue(Sparse),
            LoggerFactory = result.GetValue(Verbose) ? new ConsoleErrorLoggerFactory(LogLevel.Debug) : new ConsoleErrorLoggerFactory(LogLevel.Warning),
        };
    }
}

/// <summary>A usage error: printed without a stack trace, exit code 2.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
