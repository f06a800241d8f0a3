using System.Text.Json;

namespace WebTorrent.Tracker;

/// <summary>
/// Reads fields of a WebSocket tracker message that any swarm peer may have written: a missing field, a field of the
/// wrong kind and a string that is not valid UTF-8 (or an escaped lone surrogate) all read as null, never throw.
/// </summary>
internal static class TrackerJson
{
    /// <summary>A string property, or null when absent, not a string, or not text .NET can hold.</summary>
    public static string? ReadString(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String) return null;
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // invalid UTF-8, or an escape that decodes to a lone surrogate
        }
    }

    /// <summary>A 20-byte id written as 20 latin-1 characters, or null.</summary>
    public static byte[]? ReadId(JsonElement element, string name) =>
        ReadString(element, name) is { } text ? WebSocketTrackerClient.FromLatin1(text) : null;

    /// <summary>A non-negative integer property clamped to <see cref="int.MaxValue"/>, or null.</summary>
    public static int? ReadInt(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n)
            ? (int)Math.Clamp(n, 0, int.MaxValue)
            : null;

    /// <summary><c>{"type": "...", "sdp": "..."}</c>, or null when it is not an object with both strings.</summary>
    public static SessionDescription? ReadDescription(JsonElement element) =>
        ReadString(element, "type") is { } type && ReadString(element, "sdp") is { } sdp ? new SessionDescription(type, sdp) : null;
}
