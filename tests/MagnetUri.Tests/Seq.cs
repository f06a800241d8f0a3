using System.Collections.Immutable;

namespace MagnetUri.Tests;

internal static class Seq
{
    /// <summary>Element-wise comparison (xunit would compare ImmutableArray by identity).</summary>
    public static void Equal<T>(T[] expected, ImmutableArray<T> actual) => Assert.Equal(expected, actual.ToArray());
}
