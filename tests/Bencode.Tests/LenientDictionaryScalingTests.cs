using System.Diagnostics;
using System.Text;
using Bencode;

namespace Bencode.Tests;

/// <summary>
/// Audit finding 2 (issue 18): lenient decoding of a dictionary whose keys arrive in descending order was quadratic
/// (every key inserted at the front of a sorted list), so one 1 MiB peer message cost seconds of CPU.
/// </summary>
public class LenientDictionaryScalingTests
{
    /// <summary><c>d</c>, then <c>7:%07d0:</c> for i = count down to 1, then <c>e</c> (the audit's input).</summary>
    private static byte[] DescendingKeys(int count)
    {
        var text = new StringBuilder(count * 11 + 2).Append('d');
        for (var i = count; i >= 1; i--) text.Append("7:").Append(i.ToString("D7")).Append("0:");
        return Encoding.ASCII.GetBytes(text.Append('e').ToString());
    }

    [Fact]
    public void Descending_keys_decode_sorted_with_every_entry()
    {
        var dictionary = BencodeSerializer.DecodeDictionary(DescendingKeys(1000), BencodeReaderOptions.Lenient);
        Assert.Equal(1000, dictionary.Count);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => i.ToString("D7")), dictionary.Keys.Select(k => k.ToString()));
        Assert.Equal(DescendingKeys(1000).Length, dictionary.RawBytes.Length);
    }

    [Fact]
    public void Repeated_keys_out_of_order_keep_the_first_value()
    {
        var input = Encoding.ASCII.GetBytes("d1:ci1e1:ai2e1:ci3e1:bi4e1:ai5e1:ci6ee");
        var dictionary = BencodeSerializer.DecodeDictionary(input, BencodeReaderOptions.Lenient);
        Assert.Equal(["a", "b", "c"], dictionary.Keys.Select(k => k.ToString()));
        Assert.Equal(2, dictionary.GetInt64("a"));
        Assert.Equal(4, dictionary.GetInt64("b"));
        Assert.Equal(1, dictionary.GetInt64("c"));
        Assert.Equal("d1:ai2e1:bi4e1:ci1ee", Encoding.ASCII.GetString(BencodeSerializer.Encode(dictionary)));
    }

    [Fact]
    public void Four_times_the_descending_keys_cost_about_four_times_the_time_not_sixteen()
    {
        // A ratio, not a wall-clock limit: a loaded machine slows both sizes alike. Quadratic insertion measured
        // ~16x here; n log n sorting ~4-5x. The best of several interleaved runs filters scheduler noise.
        var small = DescendingKeys(24_000);
        var large = DescendingKeys(96_000); // ~1 MiB, the audit's size
        BencodeSerializer.Decode(small.AsMemory(), BencodeReaderOptions.Lenient); // JIT warm-up
        var bestSmall = double.MaxValue;
        var bestLarge = double.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            bestSmall = Math.Min(bestSmall, Time(small));
            bestLarge = Math.Min(bestLarge, Time(large));
        }
        var ratio = bestLarge / bestSmall;
        Assert.True(ratio < 10, $"4x the keys took {ratio:F1}x the time ({bestSmall:F1} ms vs {bestLarge:F1} ms): not linear-ish");
    }

    private static double Time(byte[] input)
    {
        var watch = Stopwatch.StartNew();
        var dictionary = BencodeSerializer.DecodeDictionary(input, BencodeReaderOptions.Lenient);
        watch.Stop();
        Assert.Equal((input.Length - 2) / 11, dictionary.Count);
        return watch.Elapsed.TotalMilliseconds;
    }
}
