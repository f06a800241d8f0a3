using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace WebRtc.Ice;

/// <summary>
/// What our candidates look like: the interface addresses to gather on, and the host, server-reflexive and relay
/// candidates built from a base, with RFC 8445 priorities and foundations. The agent decides when to make them.
/// </summary>
internal static class LocalCandidateFactory
{
    /// <summary>Every address of every interface that is up (link-local IPv6 skipped), plus loopback when asked for.</summary>
    public static List<IPAddress> EnumerateAddresses(IceAgentOptions options)
    {
        var result = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)) continue;
                if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var ua in nic.GetIPProperties().UnicastAddresses)
                {
                    var a = ua.Address;
                    if (IPAddress.IsLoopback(a)) continue;
                    if (a.AddressFamily == AddressFamily.InterNetworkV6 && (a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv4MappedToIPv6)) continue;
                    if (a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !result.Contains(a)) result.Add(a);
                }
            }
        }
        catch (NetworkInformationException)
        {
        }
        if (options.IncludeLoopback)
        {
            result.Add(IPAddress.Loopback);
            if (options.IncludeIPv6 && Socket.OSSupportsIPv6) result.Add(IPAddress.IPv6Loopback);
        }
        return result;
    }

    /// <summary>A host candidate for a socket bound to <paramref name="local"/>.</summary>
    public static IceCandidate Host(IPEndPoint local, int localPreference) => new()
    {
        Foundation = Foundation(IceCandidateType.Host, local.Address),
        Priority = IceCandidate.ComputePriority(IceCandidateType.Host, localPreference),
        Address = local.Address.ToString(),
        Port = local.Port,
        Type = IceCandidateType.Host,
        Extensions = [new("generation", "0")],
    };

    /// <summary>The server-reflexive candidate a STUN server reported for a host base, with that base's local preference.</summary>
    public static IceCandidate ServerReflexive(IPEndPoint mapped, IPEndPoint hostBase, uint hostPriority) => new()
    {
        Foundation = Foundation(IceCandidateType.ServerReflexive, hostBase.Address),
        Priority = IceCandidate.ComputePriority(IceCandidateType.ServerReflexive, (int)((hostPriority >> 8) & 0xFFFF)),
        Address = mapped.Address.ToString(),
        Port = mapped.Port,
        Type = IceCandidateType.ServerReflexive,
        RelatedAddress = hostBase.Address.ToString(),
        RelatedPort = hostBase.Port,
        Extensions = [new("generation", "0")],
    };

    /// <summary>A relay candidate on a TURN server; its related address is our address as the server saw it (RFC 8839).</summary>
    public static IceCandidate Relayed(IPEndPoint relayed, IPEndPoint? mapped, IPAddress server, int localPreference) => new()
    {
        Foundation = Foundation(IceCandidateType.Relayed, server),
        Priority = IceCandidate.ComputePriority(IceCandidateType.Relayed, localPreference),
        Address = relayed.Address.ToString(),
        Port = relayed.Port,
        Type = IceCandidateType.Relayed,
        RelatedAddress = mapped?.Address.ToString(),
        RelatedPort = mapped?.Port,
        Extensions = [new("generation", "0")],
    };

    /// <summary>Candidates of one type from one base address (or TURN server) share a foundation.</summary>
    private static string Foundation(IceCandidateType type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[17];
        bytes[0] = (byte)type;
        address.TryWriteBytes(bytes[1..], out var written);
        return Crc32.Compute(bytes[..(1 + written)]).ToString(CultureInfo.InvariantCulture);
    }
}
