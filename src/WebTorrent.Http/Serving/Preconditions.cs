using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Headers;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace WebTorrent.Http.Serving;

/// <summary>The result of evaluating conditional request headers (RFC 9110 section 13.2.2).</summary>
internal enum PreconditionResult
{
    /// <summary>Serve the representation (ranges allowed).</summary>
    Proceed,

    /// <summary>Serve the representation, but ignore any Range header (If-Range did not match).</summary>
    ProceedIgnoringRange,

    /// <summary>304 Not Modified.</summary>
    NotModified,

    /// <summary>412 Precondition Failed.</summary>
    PreconditionFailed,
}

/// <summary>
/// Evaluates If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range in the order RFC 9110
/// prescribes, against a strong entity tag and an optional last-modified date (whole seconds).
/// </summary>
internal static class Preconditions
{
    public static PreconditionResult Evaluate(HttpRequest request, EntityTagHeaderValue etag, DateTimeOffset? lastModified)
    {
        var headers = request.Headers;
        if (headers.IfMatch.Count == 0 && headers.IfNoneMatch.Count == 0 && headers.IfModifiedSince.Count == 0
            && headers.IfUnmodifiedSince.Count == 0 && headers.IfRange.Count == 0)
        {
            return PreconditionResult.Proceed; // the common case, without parsing anything
        }
        RequestHeaders typed = request.GetTypedHeaders();
        var getOrHead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

        // 1. If-Match (strong comparison), else 2. If-Unmodified-Since.
        if (headers.IfMatch.Count > 0)
        {
            if (!AnyMatches(typed.IfMatch, etag, weak: false)) return PreconditionResult.PreconditionFailed;
        }
        else if (typed.IfUnmodifiedSince is { } unmodifiedSince && lastModified is { } lm1 && lm1 > unmodifiedSince)
        {
            return PreconditionResult.PreconditionFailed;
        }

        // 3. If-None-Match (weak comparison), else 4. If-Modified-Since (GET/HEAD only).
        if (headers.IfNoneMatch.Count > 0)
        {
            if (AnyMatches(typed.IfNoneMatch, etag, weak: true))
            {
                return getOrHead ? PreconditionResult.NotModified : PreconditionResult.PreconditionFailed;
            }
        }
        else if (getOrHead && typed.IfModifiedSince is { } modifiedSince && lastModified is { } lm2 && lm2 <= modifiedSince)
        {
            return PreconditionResult.NotModified;
        }

        // 5. If-Range: only meaningful with a Range header; a mismatch means "send it all".
        if (headers.IfRange.Count > 0 && headers.Range.Count > 0)
        {
            var ifRange = typed.IfRange;
            var matches = ifRange switch
            {
                { EntityTag: { } tag } => !tag.IsWeak && tag.Compare(etag, useStrongComparison: true),
                { LastModified: { } date } => lastModified is { } lm3 && lm3 == date,
                _ => false,
            };
            if (!matches) return PreconditionResult.ProceedIgnoringRange;
        }
        return PreconditionResult.Proceed;
    }

    private static bool AnyMatches(IList<EntityTagHeaderValue> tags, EntityTagHeaderValue etag, bool weak)
    {
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: !weak)) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="values"/> holds exactly one header line (several Range lines are ignored).</summary>
    public static bool IsSingle(StringValues values) => values.Count == 1;
}
