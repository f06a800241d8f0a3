using System.Net;

namespace WebRtc.Ice.Turn;

/// <summary>A TURN server reached over UDP, with the long-term credentials it knows us by.</summary>
/// <param name="EndPoint">The server's address and port.</param>
/// <param name="Username">The username.</param>
/// <param name="Password">The password (used as given: SASLprep is not applied).</param>
public sealed record TurnServer(IPEndPoint EndPoint, string Username, string Password)
{
    /// <summary>Hides the password when the record is printed.</summary>
    public override string ToString() => $"turn:{EndPoint}?transport=udp (user {Username})";
}
