using System.CommandLine;
using WebTorrent.Cli;

// webtorrent: download, seed and inspect torrents with the WebTorrent for .NET client.
// With no arguments: a self-contained demo (a seeder and a downloader on this machine, over loopback TCP).
var root = new RootCommand("WebTorrent for .NET: download and seed torrents over TCP. With no command: a self-contained demo.");
DemoCommand.Configure(root);
root.Subcommands.Add(DownloadCommand.Create());
root.Subcommands.Add(SeedCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
return await root.Parse(args).InvokeAsync();
