// The reference for benchmarks/http-serve.sh: npm webtorrent seeds a file and serves it with client.createServer(),
// printing the file's URL. node benchmarks/http-serve-node.mjs <file> (webtorrent from tests/interop/node_modules).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { default: WebTorrent } = await import(pathToFileURL(path.join(root, 'tests/interop/node_modules/webtorrent/index.js')).href);

const file = process.argv[2];
const client = new WebTorrent({ dht: false, tracker: false, lsd: false, webSeeds: false, utp: false, natUpnp: false, natPmp: false });
client.on('error', e => { console.error(e); process.exit(1); });
client.seed(file, { announce: [], pieceLength: 1 << 20 }, torrent => {
  const instance = client.createServer({ origin: '*' });
  const server = instance.server;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    const url = `http://127.0.0.1:${port}/webtorrent/${torrent.infoHash}/${encodeURIComponent(path.basename(file))}`;
    console.log(url);
  });
});
