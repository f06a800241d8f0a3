// npm bittorrent-tracker's Client announcing to a tracker (ours in the tests). Prints one JSON line per event.
// usage: node tracker-client.mjs <announceUrl> <infoHashHex> <peerIdHex> <port> [scrape]
import Client from 'bittorrent-tracker';
const [url, infoHash, peerId, port, mode] = process.argv.slice(2);
const print = o => console.log(JSON.stringify(o));
const client = new Client({ infoHash, peerId, announce: [url], port: Number(port) });
client.on('error', e => print({ event: 'error', message: e.message }));
client.on('warning', e => print({ event: 'warning', message: e.message }));
client.on('update', d => print({ event: 'update', complete: d.complete, incomplete: d.incomplete }));
client.on('scrape', d => print({ event: 'scrape', complete: d.complete, incomplete: d.incomplete, downloaded: d.downloaded, infoHash: d.infoHash }));
client.on('peer', p => {
  if (typeof p === 'string') print({ event: 'peer', addr: p });
  else p.once('connect', () => { print({ event: 'peer', webrtc: true, id: p.id }); p.send('hello from ' + peerId.slice(0, 8)); });
  if (typeof p !== 'string') p.on('data', d => print({ event: 'data', text: new TextDecoder().decode(d) }));
});
if (mode === 'scrape') client.scrape(); else client.start({ left: 0 });
process.stdin.on('data', d => {
  const cmd = d.toString().trim();
  if (cmd === 'update') client.update();
  if (cmd === 'scrape') client.scrape();
  if (cmd === 'stop') { client.stop(); setTimeout(() => { client.destroy(); process.exit(0); }, 300); }
});
process.stdin.on('end', () => { client.destroy(); process.exit(0); });
