using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Bencode;

/// <summary>
/// A forward-only, zero-copy reader of bencode tokens over a span, in the manner of <c>Utf8JsonReader</c>.
/// It validates as it goes (structure, limits and, by default, canonical form) and never allocates.
/// <see cref="SkipValue"/> returns the exact raw bytes of any value, e.g. the <c>info</c> dictionary
/// whose SHA-1 is a torrent's info-hash.
/// </summary>
/// <example>
/// <code>
/// var reader = new BencodeReader(torrentBytes);
/// reader.Read(); // DictionaryStart
/// while (reader.Read() &amp;&amp; reader.TokenType == BencodeTokenType.String)
/// {
///     if (reader.ValueTextEquals("info"u8)) { reader.Read(); var info = reader.SkipValue(); }
///     else { reader.Read(); reader.SkipValue(); }
/// }
/// </code>
/// </example>
public ref struct BencodeReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly BencodeReaderOptions _options;
    private FrameStack _frames;
    private int _position;
    private int _tokenStart;
    private int _valueStart;
    private int _valueLength;
    private long _integer;
    private int _depth;
    private bool _complete;

    /// <summary>Creates a reader over <paramref name="data"/> with <paramref name="options"/> (strict by default).</summary>
    public BencodeReader(ReadOnlySpan<byte> data, BencodeReaderOptions? options = null)
    {
        _data = data;
        _options = options ?? BencodeReaderOptions.Default;
        _frames = default;
        TokenType = BencodeTokenType.None;
    }

    /// <summary>The token the reader is positioned on.</summary>
    public BencodeTokenType TokenType { get; private set; }

    /// <summary>Offset of the current token's first byte in the input.</summary>
    public readonly int TokenStart => _tokenStart;

    /// <summary>Offset of the first byte after the current token.</summary>
    public readonly int Position => _position;

    /// <summary>Nesting depth after the current token (0 at top level; 1 inside the outermost list or dictionary).</summary>
    public readonly int CurrentDepth => _depth;

    /// <summary>True when the current token is a dictionary key.</summary>
    public bool IsDictionaryKey { readonly get; private set; }

    /// <summary>True once the top-level value has been read completely.</summary>
    public readonly bool IsComplete => _complete;

    /// <summary>The bytes of the current <see cref="BencodeTokenType.String"/> token.</summary>
    public readonly ReadOnlySpan<byte> ValueSpan
    {
        get
        {
            if (TokenType != BencodeTokenType.String) ThrowNotOn(BencodeTokenType.String);
            return _data.Slice(_valueStart, _valueLength);
        }
    }

    /// <summary>The raw bytes of the current token (for containers, only the opening or closing byte).</summary>
    public readonly ReadOnlySpan<byte> TokenSpan => _data[_tokenStart.._position];

    /// <summary>The value of the current <see cref="BencodeTokenType.Integer"/> token.</summary>
    public readonly long GetInt64()
    {
        if (TokenType != BencodeTokenType.Integer) ThrowNotOn(BencodeTokenType.Integer);
        return _integer;
    }

    /// <summary>The current string token decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
    public readonly string GetString() => Encoding.UTF8.GetString(ValueSpan);

    /// <summary>True when the current string token equals <paramref name="utf8Text"/> byte for byte.</summary>
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8Text) => ValueSpan.SequenceEqual(utf8Text);

    /// <summary>
    /// Advances to the next token. Returns false once the top-level value is complete (bytes after it are
    /// left unread; see <see cref="Position"/>). Throws <see cref="BencodeException"/> on malformed input.
    /// </summary>
    public bool Read()
    {
        if (_complete) return false;
        if (_position >= _data.Length)
            throw new BencodeException(_position == 0 ? "Empty input" : "Unexpected end of input", _position);

        _tokenStart = _position;
        ref var frame = ref _depth > 0 ? ref _frames[_depth - 1] : ref Unsafe.NullRef<Frame>();
        var inDictionary = _depth > 0 && frame.IsDictionary;
        var isKey = inDictionary && frame.ExpectKey;
        IsDictionaryKey = false;
        var b = _data[_position];
        switch (b)
        {
            case (byte)'i':
                if (isKey) throw new BencodeException("Dictionary key must be a byte string", _position);
                ReadInteger();
                TokenType = BencodeTokenType.Integer;
                ValueCompleted();
                break;
            case >= (byte)'0' and <= (byte)'9':
                ReadString();
                TokenType = BencodeTokenType.String;
                if (isKey)
                {
                    CheckKeyOrder(ref frame);
                    frame.ExpectKey = false;
                    IsDictionaryKey = true;
                }
                else
                {
                    ValueCompleted();
                }
                break;
            case (byte)'l':
            case (byte)'d':
                if (isKey) throw new BencodeException("Dictionary key must be a byte string", _position);
                if (_depth >= _options.MaxDepth)
                    throw new BencodeException($"Nesting deeper than {_options.MaxDepth}", _position);
                _frames[_depth] = new Frame { IsDictionary = b == (byte)'d', ExpectKey = true, LastKeyStart = -1 };
                _depth++;
                _position++;
                TokenType = b == (byte)'d' ? BencodeTokenType.DictionaryStart : BencodeTokenType.ListStart;
                break;
            case (byte)'e':
                if (_depth == 0) throw new BencodeException("Unexpected 'e' outside a list or dictionary", _position);
                if (inDictionary && !frame.ExpectKey) throw new BencodeException("Dictionary key without a value", _position);
                _depth--;
                _position++;
                TokenType = BencodeTokenType.End;
                ValueCompleted();
                break;
            default:
                throw new BencodeException($"Unexpected byte 0x{b:x2}", _position);
        }
        return true;
    }

    /// <summary>
    /// Skips the value that starts at the current token (a whole list or dictionary when positioned on its
    /// start) and returns its exact raw bytes. Afterwards the reader is positioned on the value's last token.
    /// </summary>
    public ReadOnlySpan<byte> SkipValue()
    {
        switch (TokenType)
        {
            case BencodeTokenType.Integer:
            case BencodeTokenType.String:
                return _data[_tokenStart.._position];
            case BencodeTokenType.ListStart:
            case BencodeTokenType.DictionaryStart:
                var start = _tokenStart;
                var depth = _depth - 1;
                while (Read())
                {
                    if (TokenType == BencodeTokenType.End && _depth == depth) break;
                }
                return _data[start.._position];
            default:
                throw new InvalidOperationException($"Cannot skip a value from a {TokenType} token.");
        }
    }

    /// <summary>Reads the next token and checks it is <paramref name="expected"/>, else throws <see cref="BencodeException"/>.</summary>
    public void Expect(BencodeTokenType expected)
    {
        if (!Read() || TokenType != expected)
            throw new BencodeException($"Expected {expected} but found {TokenType}", _tokenStart);
    }

    private void ValueCompleted()
    {
        if (_depth == 0)
        {
            _complete = true;
            return;
        }
        ref var frame = ref _frames[_depth - 1];
        if (frame.IsDictionary) frame.ExpectKey = true;
    }

    private void CheckKeyOrder(ref Frame frame)
    {
        if (_options.RequireSortedKeys && frame.LastKeyStart >= 0)
        {
            var previous = _data.Slice(frame.LastKeyStart, frame.LastKeyLength);
            var order = previous.SequenceCompareTo(_data.Slice(_valueStart, _valueLength));
            if (order >= 0)
                throw new BencodeException(order == 0 ? "Duplicate dictionary key" : "Dictionary keys are not sorted", _tokenStart);
        }
        frame.LastKeyStart = _valueStart;
        frame.LastKeyLength = _valueLength;
    }

    private void ReadInteger()
    {
        var start = _position + 1;
        var end = _data[start..].IndexOf((byte)'e');
        if (end < 0) throw new BencodeException("Unterminated integer", _position);
        var digits = _data.Slice(start, end);
        if (digits.IsEmpty) throw new BencodeException("Empty integer", _position);
        var negative = digits[0] == (byte)'-';
        var magnitude = negative ? digits[1..] : digits;
        if (magnitude.IsEmpty || magnitude.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            throw new BencodeException("Integer has a non-digit", _position);
        if (_options.RejectLeadingZeros)
        {
            if (magnitude.Length > 1 && magnitude[0] == (byte)'0') throw new BencodeException("Integer has a leading zero", _position);
            if (negative && magnitude.Length == 1 && magnitude[0] == (byte)'0') throw new BencodeException("Negative zero", _position);
        }
        if (!Utf8Parser.TryParse(digits, out long value, out var consumed) || consumed != digits.Length)
            throw new BencodeException("Integer out of the 64-bit range", _position);
        _integer = value;
        _position = start + end + 1;
    }

    private void ReadString()
    {
        var colon = _data[_position..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (colon < 0 || _data[_position + colon] != (byte)':')
            throw new BencodeException(colon < 0 ? "Unterminated string length" : "String length not followed by ':'", _position);
        var digits = _data.Slice(_position, colon);
        if (_options.RejectLeadingZeros && digits.Length > 1 && digits[0] == (byte)'0')
            throw new BencodeException("String length has a leading zero", _position);
        if (digits.Length > 18 || !Utf8Parser.TryParse(digits, out long length, out _))
            throw new BencodeException("String length out of range", _position);
        if (length > _options.MaxStringLength)
            throw new BencodeException($"String of {length} bytes exceeds the limit of {_options.MaxStringLength}", _position);
        var start = _position + colon + 1;
        if (length > _data.Length - start) throw new BencodeException("String runs past the end of input", _position);
        _valueStart = start;
        _valueLength = (int)length;
        _position = start + (int)length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowNotOn(BencodeTokenType expected) =>
        throw new InvalidOperationException($"The reader is on a {TokenType} token, not {expected}.");

    private struct Frame
    {
        public bool IsDictionary;
        public bool ExpectKey;
        public int LastKeyStart;
        public int LastKeyLength;
    }

    [InlineArray(BencodeReaderOptions.MaxSupportedDepth)]
    private struct FrameStack
    {
        private Frame _element;
    }
}
