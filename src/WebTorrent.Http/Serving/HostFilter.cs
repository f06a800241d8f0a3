using System.Net;
using Microsoft.AspNetCore.Http;

namespace WebTorrent.Http.Serving;

/// <summary>
/// Serves only requests whose <c>Host</c> names this machine, or a host the app allowed. Without it a web page whose
/// DNS name the attacker rebinds to 127.0.0.1 (DNS rebinding) could read the user's files through the browser: the
/// browser thinks it talks to the attacker's site, so its same-origin rule does not help, but it still sends the
/// attacker's name as <c>Host</c>.
/// </summary>
internal sealed class HostFilter
{
    private readonly bool _allowAll;
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];

    /// <param name="allowedHosts">
    /// Names served besides this machine's: exact (<c>media.example</c>), any subdomain (<c>*.cdn.example</c>), or
    /// <c>*</c> for every host.
    /// </param>
    public HostFilter(IReadOnlyList<string> allowedHosts)
    {
        foreach (var host in allowedHosts)
        {
            var name = host.Trim().TrimEnd('.');
            if (name == "*") _allowAll = true;
            else if (name.StartsWith("*.", StringComparison.Ordinal)) _suffixes.Add(name[1..]);
            else _names.Add(name);
        }
    }

    /// <summary>Wraps <paramref name="next"/>: 400 without a host, 421 Misdirected Request for a host not served.</summary>
    public RequestDelegate Guard(RequestDelegate next) => context =>
    {
        var host = context.Request.Host;
        if (!host.HasValue || host.Host.Length == 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }
        if (IsAllowed(host.Host, context.Connection.LocalIpAddress)) return next(context);
        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        return Task.CompletedTask;
    };

    /// <summary>Whether <paramref name="host"/> (a <c>Host</c> without its port) may be served on a connection to <paramref name="localAddress"/>.</summary>
    public bool IsAllowed(string host, IPAddress? localAddress)
    {
        if (_allowAll) return true;
        var name = host.TrimEnd('.');
        // RFC 6761: "localhost" and its subdomains always resolve to loopback, never through DNS.
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var literal = name.StartsWith('[') && name.EndsWith(']') ? name[1..^1] : name;
        if (IPAddress.TryParse(literal, out var address))
            return IPAddress.IsLoopback(address) || Unmapped(address).Equals(localAddress is null ? null : Unmapped(localAddress)) || _names.Contains(name);
        if (_names.Contains(name)) return true;
        foreach (var suffix in _suffixes)
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
