using Microsoft.Net.Http.Headers;
using WebTorrent.Http.Serving;

namespace WebTorrent.Http.Tests;

public sealed class ContentHeaderTests
{
    [Theory]
    [InlineData("movie.mp4", "video/mp4")]
    [InlineData("MOVIE.MP4", "video/mp4")]
    [InlineData("clip.webm", "video/webm")]
    [InlineData("film.mkv", "video/x-matroska")]
    [InlineData("song.mp3", "audio/mpeg")]
    [InlineData("song.ogg", "audio/ogg")]
    [InlineData("song.flac", "audio/flac")]
    [InlineData("song.wav", "audio/wav")]
    [InlineData("a.jpg", "image/jpeg")]
    [InlineData("a.jpeg", "image/jpeg")]
    [InlineData("a.png", "image/png")]
    [InlineData("a.gif", "image/gif")]
    [InlineData("a.svg", "image/svg+xml")]
    [InlineData("readme.txt", "text/plain")]
    [InlineData("index.html", "text/html")]
    [InlineData("book.pdf", "application/pdf")]
    [InlineData("data.json", "application/json")]
    [InlineData("all.zip", "application/zip")]
    [InlineData("subs.vtt", "text/vtt")]
    [InlineData("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")] // from ASP.NET Core's table
    [InlineData("noextension", "application/octet-stream")]
    [InlineData("weird.qqqqzz", "application/octet-stream")]
    [InlineData("dir.mp4/file", "application/octet-stream")]
    public void Content_type_by_extension(string name, string expected) => Assert.Equal(expected, ContentTypes.For(name));

    [Theory]
    [InlineData("plain.mp4")]
    [InlineData("Ünïcödé \"quoted\" name.mkv")]
    [InlineData("日本語のファイル.mp3")]
    [InlineData("emoji 🎬 back\\slash;semi,comma%percent.txt")]
    [InlineData("control\r\nchars\t.txt")]
    public void Content_disposition_round_trips_the_exact_name_and_is_ascii(string name)
    {
        var value = ContentDisposition.Create(name, attachment: false);
        Assert.All(value, c => Assert.InRange(c, ' ', '~'));
        Assert.True(ContentDispositionHeaderValue.TryParse(value, out var parsed));
        Assert.Equal("inline", parsed!.DispositionType.Value);
        Assert.Equal(name, parsed.FileNameStar.Value);
        Assert.False(string.IsNullOrEmpty(parsed.FileName.Value));
        Assert.StartsWith("attachment;", ContentDisposition.Create(name, attachment: true));
    }
}
