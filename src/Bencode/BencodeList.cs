using System.Collections;

namespace Bencode;

/// <summary>A bencoded list.</summary>
public sealed class BencodeList : BencodeValue, IList<BencodeValue>, IReadOnlyList<BencodeValue>
{
    private readonly List<BencodeValue> _items;

    /// <summary>An empty list.</summary>
    public BencodeList() => _items = new();

    /// <summary>A list of <paramref name="items"/>.</summary>
    public BencodeList(IEnumerable<BencodeValue> items) => _items = new(items ?? throw new ArgumentNullException(nameof(items)));

    /// <inheritdoc cref="IList{T}.this"/>
    public BencodeValue this[int index]
    {
        get => _items[index];
        set => _items[index] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public bool IsReadOnly => false;

    /// <inheritdoc/>
    public void Add(BencodeValue item) => _items.Add(item ?? throw new ArgumentNullException(nameof(item)));

    /// <inheritdoc/>
    public void Clear() => _items.Clear();

    /// <inheritdoc/>
    public bool Contains(BencodeValue item) => _items.Contains(item);

    /// <inheritdoc/>
    public void CopyTo(BencodeValue[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    /// <inheritdoc/>
    public int IndexOf(BencodeValue item) => _items.IndexOf(item);

    /// <inheritdoc/>
    public void Insert(int index, BencodeValue item) => _items.Insert(index, item ?? throw new ArgumentNullException(nameof(item)));

    /// <inheritdoc/>
    public bool Remove(BencodeValue item) => _items.Remove(item);

    /// <inheritdoc/>
    public void RemoveAt(int index) => _items.RemoveAt(index);

    /// <summary>Enumerates the items.</summary>
    public List<BencodeValue>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<BencodeValue> IEnumerable<BencodeValue>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    /// <inheritdoc/>
    public override void WriteTo(ref BencodeWriter writer)
    {
        writer.WriteListStart();
        foreach (var item in _items) item.WriteTo(ref writer);
        writer.WriteEnd();
    }
}
