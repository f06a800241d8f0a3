using FsCheck.Xunit;
using WebTorrent.Verifier;

namespace WebTorrent.Verifier.Tests;

public sealed class PieceBitfieldTests
{
    [Fact]
    public void Wire_format_puts_piece_zero_in_the_high_bit()
    {
        var bitfield = new PieceBitfield(10);
        bitfield.Set(0);
        bitfield.Set(9);
        Assert.Equal(new byte[] { 0x80, 0x40 }, bitfield.ToArray());
        Assert.Equal(2, bitfield.Count);
        Assert.False(bitfield.Set(0));
        Assert.True(bitfield.Clear(0));
        Assert.False(bitfield.Clear(0));
        Assert.Equal(1, bitfield.Count);
        Assert.Equal(0, bitfield.FirstClear());
        Assert.Throws<ArgumentOutOfRangeException>(() => bitfield[10]);
    }

    [Fact]
    public void Spare_bits_and_wrong_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => PieceBitfield.FromBytes([0x00, 0x01], 10));
        Assert.Throws<ArgumentException>(() => PieceBitfield.FromBytes([0x00], 10));
        Assert.True(PieceBitfield.FromBytes([0xFF, 0xC0], 10).IsComplete);
    }

    [Property(MaxTest = 200, Replay = "(12345,67891)")]
    public bool Wire_format_round_trips(bool[] bits)
    {
        var bitfield = new PieceBitfield(bits.Length);
        for (var i = 0; i < bits.Length; i++)
        {
            bitfield[i] = bits[i];
        }

        var back = PieceBitfield.FromBytes(bitfield.ToArray(), bits.Length);
        var firstClear = Array.IndexOf(bits, false);
        return Enumerable.Range(0, bits.Length).All(i => back[i] == bits[i])
            && back.Count == bits.Count(b => b)
            && back.FirstClear() == firstClear
            && back.IsComplete == !bits.Contains(false);
    }

    [Fact]
    public async Task Concurrent_sets_count_each_piece_once()
    {
        var bitfield = new PieceBitfield(10000);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10000; i++)
            {
                bitfield.Set(i);
            }
        })));
        Assert.True(bitfield.IsComplete);
        Assert.Equal(-1, bitfield.FirstClear());
    }
}
