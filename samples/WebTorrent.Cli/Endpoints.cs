using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MagnetUri;

namespace WebTorrent.Cli;

/// <summary>HOST:PORT parsing for --peer and x.pe.</summary>
internal static class Endpoints
{
    /// <summary>Parses <c>1.2.3.4:6881</c>, <c>[::1]:6881</c> or <c>host.name:6881</c> (resolved with DNS).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string text, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0) return endPoint;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new CommandLineException($"--peer: '{text}' is not HOST:PORT.");
        var host = text[..colon].Trim('[', ']');
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new CommandLineException($"--peer: cannot resolve '{host}': {e.Message}");
        }
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new CommandLineException($"--peer: '{host}' has no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>The x.pe peers of a magnet link that are IP addresses.</summary>
    public static IEnumerable<IPEndPoint> FromMagnet(MagnetLink link) =>
        link.PeerAddresses.Select(p => p.ToIPEndPoint()).OfType<IPEndPoint>();
}
