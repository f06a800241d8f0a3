// Load generator for tracker-load.sh: HTTP announces/s, WebSocket announces/s, and N concurrent WebSocket peers held
// (reporting the server's RSS growth per peer). Loopback only, bounded duration. Prints one JSON line per measurement.
// usage: node tracker-load.mjs <http|ws|hold> <host:port> <seconds|peers> [concurrency] [serverPid]
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
const require = createRequire(new URL('../tests/interop/package.json', import.meta.url));
const WebSocket = require('ws');

const [mode, target, amount, concurrencyArg, pidArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg || 64);
const SWARMS = 1000;
const rnd20 = () => { let s = ''; for (let i = 0; i < 20; i++) s += String.fromCharCode(33 + Math.floor(Math.random() * 90)); return s; };
const infoHashes = Array.from({ length: SWARMS }, rnd20);
const pct = s => Array.from(s, c => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const rss = pid => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

async function httpLoad(seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const [host, port] = target.split(':');
  const end = Date.now() + seconds * 1000;
  let done = 0, errors = 0;
  const one = () => new Promise(resolve => {
    const ih = infoHashes[Math.floor(Math.random() * SWARMS)];
    const path = `/announce?info_hash=${pct(ih)}&peer_id=${pct(rnd20())}&port=${1024 + Math.floor(Math.random() * 60000)}&uploaded=0&downloaded=0&left=${Math.random() < 0.5 ? 0 : 1000}&compact=1&numwant=50`;
    const req = http.get({ host, port, path, agent }, res => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) done++; else errors++; resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
  });
  const worker = async () => { while (Date.now() < end) await one(); };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { mode: 'http', announcesPerSecond: Math.round(done / ((Date.now() - t0) / 1000)), done, errors, concurrency };
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function wsLoad(seconds) {
  const sockets = await Promise.all(Array.from({ length: concurrency }, () => open(`ws://${target}`)));
  const end = Date.now() + seconds * 1000;
  let done = 0, errors = 0;
  const t0 = Date.now();
  await Promise.all(sockets.map(ws => new Promise(resolve => {
    const peerId = rnd20();
    const send = () => {
      if (Date.now() >= end) return resolve();
      ws.send(JSON.stringify({ action: 'announce', info_hash: infoHashes[Math.floor(Math.random() * SWARMS)], peer_id: peerId, numwant: 0, uploaded: 0, downloaded: 0, left: 0, event: 'started' }));
    };
    ws.on('message', m => { const r = JSON.parse(m); if (r['failure reason']) errors++; else done++; send(); });
    ws.on('error', () => { errors++; resolve(); });
    send();
  })));
  const elapsed = (Date.now() - t0) / 1000;
  sockets.forEach(ws => ws.terminate());
  return { mode: 'ws', announcesPerSecond: Math.round(done / elapsed), done, errors, connections: concurrency };
}

async function hold(peers) {
  const pid = Number(pidArg);
  const before = rss(pid);
  const sockets = [];
  let failed = 0;
  const t0 = Date.now();
  for (let i = 0; i < peers; i += concurrency) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(concurrency, peers - i) }, async () => {
      const ws = await open(`ws://${target}`);
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
        ws.send(JSON.stringify({ action: 'announce', info_hash: infoHashes[sockets.length % SWARMS], peer_id: rnd20(), numwant: 0, uploaded: 0, downloaded: 0, left: 0, event: 'started' }));
      });
      return ws;
    }));
    for (const r of batch) if (r.status === 'fulfilled') sockets.push(r.value); else failed++;
  }
  await new Promise(r => setTimeout(r, 2000));
  const after = rss(pid);
  const result = { mode: 'hold', peersRequested: peers, peersHeld: sockets.filter(s => s.readyState === 1).length, failed,
    setupSeconds: (Date.now() - t0) / 1000, serverRssBeforeMiB: +(before / 1048576).toFixed(1), serverRssAfterMiB: +(after / 1048576).toFixed(1),
    bytesPerPeer: Math.round((after - before) / Math.max(1, sockets.length)) };
  sockets.forEach(ws => ws.terminate());
  return result;
}

const result = mode === 'http' ? await httpLoad(Number(amount)) : mode === 'ws' ? await wsLoad(Number(amount)) : await hold(Number(amount));
console.log(JSON.stringify(result));
process.exit(0);
