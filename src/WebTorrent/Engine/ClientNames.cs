using System.Text;

namespace WebTorrent.Engine;

/// <summary>Names a peer's client from its Azureus-style peer id (<c>-XXvvvv-</c>) when it sends no <c>v</c>.</summary>
internal static class ClientNames
{
    private static readonly Dictionary<string, string> Known = new(StringComparer.Ordinal)
    {
        ["WN"] = "WebTorrent.NET",
        ["WW"] = "WebTorrent",
        ["WD"] = "WebTorrent Desktop",
        ["lt"] = "libtorrent (rasterbar)",
        ["LT"] = "libtorrent (rakshasa)",
        ["TR"] = "Transmission",
        ["qB"] = "qBittorrent",
        ["DE"] = "Deluge",
        ["UT"] = "µTorrent",
        ["BT"] = "BitTorrent",
        ["AZ"] = "Vuze",
        ["A2"] = "aria2",
        ["MO"] = "MonoTorrent",
        ["BI"] = "BiglyBT",
    };

    public static string? FromPeerId(ReadOnlySpan<byte> peerId)
    {
        if (peerId.Length < 8 || peerId[0] != '-' || peerId[7] != '-') return null;
        for (var i = 1; i < 7; i++)
        {
            if (peerId[i] is < 0x20 or > 0x7E) return null;
        }
        var code = Encoding.ASCII.GetString(peerId[1..3]);
        var version = Encoding.ASCII.GetString(peerId[3..7]);
        return Known.TryGetValue(code, out var name) ? $"{name} {version}" : $"{code} {version}";
    }

    /// <summary>A new peer id: <c>-WN0100-</c> then 12 random alphanumerics.</summary>
    public static byte[] NewPeerId()
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var id = new byte[20];
        "-WN0100-"u8.CopyTo(id);
        var random = System.Security.Cryptography.RandomNumberGenerator.GetBytes(12);
        for (var i = 0; i < 12; i++) id[8 + i] = (byte)alphabet[random[i] % alphabet.Length];
        return id;
    }
}
