namespace WebTorrent.Tracker;

/// <summary>Reads an HTTP response body up to a size limit, checked on <c>Content-Length</c> and again while reading.</summary>
internal static class BoundedHttpBody
{
    /// <exception cref="TrackerException">The body is larger than <paramref name="maxSize"/> bytes.</exception>
    public static async Task<byte[]> ReadAsync(HttpResponseMessage response, int maxSize, Uri source, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxSize) throw TooLarge(source, maxSize);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxSize + 1L, 8192)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > maxSize) throw TooLarge(source, maxSize);
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, maxSize + 1L));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0) break;
            length += read;
        }
        if (length > maxSize) throw TooLarge(source, maxSize);
        return buffer.AsSpan(0, length).ToArray();
    }

    private static TrackerException TooLarge(Uri source, int maxSize) =>
        new($"The response of {source.GetLeftPart(UriPartial.Path)} is larger than {maxSize} bytes.");
}
