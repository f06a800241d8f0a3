using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Bencode;

/// <summary>
/// A bencoded dictionary. Keys are byte strings kept in ascending byte order, so encoding is always
/// canonical. Look keys up by text (UTF-8) or by raw bytes.
/// </summary>
public sealed class BencodeDictionary : BencodeValue, IReadOnlyCollection<KeyValuePair<BencodeString, BencodeValue>>
{
    private readonly List<KeyValuePair<BencodeString, BencodeValue>> _entries;

    /// <summary>An empty dictionary.</summary>
    public BencodeDictionary() => _entries = new();

    private BencodeDictionary(List<KeyValuePair<BencodeString, BencodeValue>> entries) => _entries = entries;

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>The keys, in byte order.</summary>
    public IEnumerable<BencodeString> Keys => _entries.Select(e => e.Key);

    /// <summary>Gets or sets the value of a key; getting a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public BencodeValue this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No key '{key}' in the dictionary.");
        set => Set(new BencodeString(key), value);
    }

    /// <summary>Adds or replaces the value of <paramref name="key"/>.</summary>
    public void Set(BencodeString key, BencodeValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var index = Find(key.Span);
        if (index >= 0) _entries[index] = new(key, value);
        else _entries.Insert(~index, new(key, value));
    }

    /// <summary>Adds an entry; throws when the key exists. Enables collection initialisers.</summary>
    public void Add(string key, BencodeValue value) => Add(new BencodeString(key), value);

    /// <summary>Adds an entry; throws when the key exists.</summary>
    public void Add(BencodeString key, BencodeValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var index = Find(key.Span);
        if (index >= 0) throw new ArgumentException($"Key '{key}' already exists.", nameof(key));
        _entries.Insert(~index, new(key, value));
    }

    /// <summary>
    /// Takes over <paramref name="entries"/> in input order. Input out of order (lenient decoding) is sorted once,
    /// stably, and repeated keys keep their first value, as in most clients: inserting each key at its place
    /// instead made keys in descending order quadratic.
    /// </summary>
    internal static BencodeDictionary FromDecoded(List<KeyValuePair<BencodeString, BencodeValue>> entries) =>
        new(IsStrictlyAscending(entries) ? entries : SortedKeepingFirstOfEachKey(entries));

    private static bool IsStrictlyAscending(List<KeyValuePair<BencodeString, BencodeValue>> entries)
    {
        for (var i = 1; i < entries.Count; i++)
            if (entries[i - 1].Key.Span.SequenceCompareTo(entries[i].Key.Span) >= 0) return false;
        return true;
    }

    private static List<KeyValuePair<BencodeString, BencodeValue>> SortedKeepingFirstOfEachKey(
        List<KeyValuePair<BencodeString, BencodeValue>> entries)
    {
        // Sorting (key, input position) pairs makes the sort stable, so the first of equal keys comes first.
        var order = new int[entries.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            var c = entries[a].Key.Span.SequenceCompareTo(entries[b].Key.Span);
            return c != 0 ? c : a.CompareTo(b);
        });
        var sorted = new List<KeyValuePair<BencodeString, BencodeValue>>(order.Length);
        foreach (var index in order)
        {
            var entry = entries[index];
            if (sorted.Count > 0 && sorted[^1].Key.Span.SequenceEqual(entry.Key.Span)) continue;
            sorted.Add(entry);
        }
        return sorted;
    }

    /// <summary>Removes a key; returns whether it was present.</summary>
    public bool Remove(string key)
    {
        var index = Find(Utf8(key, stackalloc byte[256]));
        if (index < 0) return false;
        _entries.RemoveAt(index);
        return true;
    }

    /// <summary>True when the key is present.</summary>
    public bool ContainsKey(string key) => Find(Utf8(key, stackalloc byte[256])) >= 0;

    /// <summary>Looks up a key given as raw bytes.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, [NotNullWhen(true)] out BencodeValue? value)
    {
        var index = Find(key);
        value = index >= 0 ? _entries[index].Value : null;
        return value is not null;
    }

    /// <summary>Looks up a key given as text.</summary>
    public bool TryGetValue(string key, [NotNullWhen(true)] out BencodeValue? value) =>
        TryGetValue(Utf8(key, stackalloc byte[256]), out value);

    /// <summary>The value of <paramref name="key"/> if present and of type <typeparamref name="T"/>, else null.</summary>
    public T? Get<T>(string key) where T : BencodeValue => TryGetValue(key, out var v) ? v as T : null;

    /// <summary>The integer value of <paramref name="key"/>, or null when absent or not an integer.</summary>
    public long? GetInt64(string key) => Get<BencodeInteger>(key)?.Value;

    /// <summary>The byte-string value of <paramref name="key"/> decoded as UTF-8, or null when absent or not a string.</summary>
    public string? GetText(string key) => Get<BencodeString>(key)?.ToString();

    /// <summary>The byte-string value of <paramref name="key"/>, or null when absent or not a string.</summary>
    public ReadOnlyMemory<byte>? GetBytes(string key) => Get<BencodeString>(key)?.Bytes;

    /// <summary>Enumerates entries in key order.</summary>
    public List<KeyValuePair<BencodeString, BencodeValue>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<BencodeString, BencodeValue>> IEnumerable<KeyValuePair<BencodeString, BencodeValue>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    /// <inheritdoc/>
    public override void WriteTo(ref BencodeWriter writer)
    {
        writer.WriteDictionaryStart();
        foreach (var (key, value) in _entries)
        {
            writer.WriteString(key.Span);
            value.WriteTo(ref writer);
        }
        writer.WriteEnd();
    }

    private int Find(ReadOnlySpan<byte> key)
    {
        // Fast path for appending in order (decoding canonical input).
        var count = _entries.Count;
        if (count == 0) return ~0;
        var last = _entries[count - 1].Key.Span.SequenceCompareTo(key);
        if (last < 0) return ~count;
        if (last == 0) return count - 1;
        int lo = 0, hi = count - 2;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = _entries[mid].Key.Span.SequenceCompareTo(key);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private static ReadOnlySpan<byte> Utf8(string key, Span<byte> scratch)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Encoding.UTF8.TryGetBytes(key, scratch, out var written) ? scratch[..written] : Encoding.UTF8.GetBytes(key);
    }
}
