namespace Bencode;

/// <summary>The kind of token a <see cref="BencodeReader"/> is positioned on.</summary>
public enum BencodeTokenType : byte
{
    /// <summary>Nothing read yet.</summary>
    None,

    /// <summary>An integer (<c>i42e</c>); read it with <see cref="BencodeReader.GetInt64"/>.</summary>
    Integer,

    /// <summary>A byte string (<c>4:spam</c>); its bytes are <see cref="BencodeReader.ValueSpan"/>.</summary>
    String,

    /// <summary>The start of a list (<c>l</c>).</summary>
    ListStart,

    /// <summary>The start of a dictionary (<c>d</c>).</summary>
    DictionaryStart,

    /// <summary>The end of the innermost list or dictionary (<c>e</c>).</summary>
    End,
}
