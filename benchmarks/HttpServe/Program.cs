// Seeds one file (in place) and serves it over HTTP; prints the file's URL, then runs until stdin closes.
// Usage: dotnet run -c Release --project benchmarks/HttpServe -- <file>
using WebTorrent;
using WebTorrent.Http;

if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: HttpServe <file>");
    return 2;
}
var folder = Path.Combine(Path.GetTempPath(), "wt-http-serve-" + Environment.ProcessId);
await using var client = new WebTorrentClient(new WebTorrentClientOptions
{
    DownloadFolder = folder,
    ListenPort = null,
    EnableDht = false,
    EnableTrackers = false,
    EnableLocalDiscovery = false,
    EnablePex = false,
});
var torrent = await client.SeedAsync(args[0], new SeedOptions { PieceLength = 1 << 20 });
await using var server = new TorrentHttpServer(client);
await server.StartAsync();
Console.WriteLine(server.GetFileUri(torrent.Files[0]));
await Console.In.ReadToEndAsync();
return 0;
