using WebRtc.Ice.Turn;

namespace WebRtc.Tests.Ice.Turn;

public class ChannelDataTests
{
    [Theory]
    [InlineData(0, 4)]
    [InlineData(1, 8)]
    [InlineData(3, 8)]
    [InlineData(4, 8)]
    [InlineData(5, 12)]
    [InlineData(1200, 1204)]
    public void Frames_are_padded_to_four_bytes_and_read_back(int length, int framed)
    {
        var data = Enumerable.Range(1, length).Select(i => (byte)i).ToArray();
        var buffer = Enumerable.Repeat((byte)0xEE, framed + 8).ToArray();
        Assert.Equal(framed, ChannelData.GetFramedLength(length));
        Assert.Equal(framed, ChannelData.Write(0x4A5B, data, buffer));
        Assert.Equal(new byte[] { 0x4A, 0x5B, (byte)(length >> 8), (byte)length }, buffer[..4]);
        Assert.All(buffer[(4 + length)..framed], b => Assert.Equal(0, b)); // padding is zeroed
        Assert.True(ChannelData.IsChannelData(buffer));
        Assert.True(ChannelData.TryRead(buffer.AsSpan(0, framed), out var channel, out var range));
        Assert.Equal((ushort)0x4A5B, channel);
        Assert.Equal(data, buffer[range]);
        // Over UDP the padding may be left out.
        Assert.True(ChannelData.TryRead(buffer.AsSpan(0, 4 + length), out _, out range));
        Assert.Equal(data, buffer[range]);
    }

    [Fact]
    public void Malformed_frames_are_refused()
    {
        Assert.False(ChannelData.TryRead([0x40, 0x00, 0x00], out _, out _)); // shorter than a header
        Assert.False(ChannelData.TryRead([0x50, 0x00, 0x00, 0x00], out _, out _)); // reserved channel number
        Assert.False(ChannelData.TryRead([0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4], out _, out _)); // length past the end
        Assert.False(ChannelData.TryRead([0x40, 0x00, 0x00, 0x00, 0, 0, 0, 0], out _, out _)); // four bytes of "padding"
        Assert.False(ChannelData.IsChannelData([0x00, 0x01, 0x00, 0x00])); // STUN
        Assert.False(ChannelData.IsChannelData([0x80, 0x00, 0x00, 0x00])); // RTP/DTLS range
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelData.Write(0x3FFF, [1], new byte[8]));
        Assert.Throws<ArgumentException>(() => ChannelData.Write(0x4000, [1, 2, 3, 4, 5], new byte[8]));
    }
}
