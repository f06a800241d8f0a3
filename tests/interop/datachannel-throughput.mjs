// Data-channel throughput of every pair, timed the same way in one run: C#->C#, C#->Chromium, Chromium->C#,
// Chromium->Chromium. One reliable ordered channel, 64 KiB messages of one random buffer, the receiver only counts;
// the time runs from the sender's first message to the receiver's last byte. CPU per GB sums both peers' process
// trees (utime+stime from /proc); memory is the peers' PSS at the end (smaps_rollup, shared pages split fairly).
// SCTP_STATS=1 prints our side's SCTP counters after each pair. PAIRS=csharp-csharp,... runs a subset.
// Run inside the test network namespace (Chromium's WebRTC must not leave it), from the repository root:
//   node tests/interop/datachannel-throughput.mjs <MiB> <path to WebTorrent.Benchmarks.dll>
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import readline from 'node:readline';

const mib = Number(process.argv[2] ?? 64);
const peerDll = process.argv[3];
const rounds = Number(process.argv[4] ?? 2);
const bytes = mib * 1024 * 1024;
const ticks = 100; // USER_HZ

function children() {
  const map = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return map;
}

function tree(pid) {
  const map = children();
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(map.get(all[i]) ?? []));
  return all;
}

function cpuSeconds(pid) {
  let total = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / ticks;
    } catch { /* gone */ }
  }
  return total;
}

function pssMiB(pid) {
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

// ---------------------------------------------------------------- peers

class DotnetPeer {
  constructor() {
    this.name = 'C#';
    this.proc = spawn('dotnet', [peerDll, 'datachannel-peer'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.pid = this.proc.pid;
    this.waiters = [];
    this.lines = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiters.findIndex(x => line.startsWith(x.prefix));
      if (w >= 0) this.waiters.splice(w, 1)[0].resolve(line);
      else this.lines.push(line);
    });
  }
  line(prefix) {
    const i = this.lines.findIndex(l => l.startsWith(prefix));
    if (i >= 0) return Promise.resolve(this.lines.splice(i, 1)[0]);
    return new Promise(resolve => this.waiters.push({ prefix, resolve }));
  }
  send(line) { this.proc.stdin.write(line + '\n'); }
  async offer() { this.send('MAKEOFFER'); return JSON.stringify({ type: 'offer', sdp: Buffer.from((await this.line('OFFER ')).slice(6), 'base64').toString() }); }
  async answer(offer) {
    this.send('OFFER ' + Buffer.from(JSON.parse(offer).sdp).toString('base64'));
    return JSON.stringify({ type: 'answer', sdp: Buffer.from((await this.line('ANSWER ')).slice(7), 'base64').toString() });
  }
  async accept(answer) { this.send('ANSWER ' + Buffer.from(JSON.parse(answer).sdp).toString('base64')); }
  opened() { return this.line('OPEN'); }
  async expect(n) { this.send(`EXPECT ${n}`); await this.line('EXPECTING'); return this.line('RECEIVED'); }
  async sendBulk(n) { this.send(`SEND ${n}`); await this.line('SENT'); }
  async close() {
    if (process.env.SCTP_STATS) { this.send('STATS'); console.log(`  ${this.name} SCTP: ${(await this.line('STATS ')).slice(6)}`); }
    this.send('QUIT');
    await new Promise(r => this.proc.once('exit', r));
  }
}

const pageScript = () => {
  window.makePc = () => {
    const pc = new RTCPeerConnection();
    window.pc = pc;
    window.openedPromise = new Promise(resolve => {
      window.attach = (dc) => {
        dc.binaryType = 'arraybuffer';
        window.dc = dc;
        window.received = 0;
        dc.onmessage = (e) => {
          window.received += e.data.byteLength;
          if (window.received >= window.expected && window.doneResolve) { window.doneResolve(window.received); window.doneResolve = null; }
        };
        if (dc.readyState === 'open') resolve(); else dc.onopen = () => resolve();
      };
    });
    pc.ondatachannel = (e) => attach(e.channel);
    return pc;
  };
  window.gathered = (pc) => new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
  window.message = new Uint8Array(65536);
  crypto.getRandomValues(window.message);
};

class ChromiumPeer {
  static async launch() {
    const server = await chromium.launchServer({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'],
    });
    const browser = await chromium.connect(server.wsEndpoint());
    const page = await browser.newPage();
    await page.goto('about:blank');
    await page.evaluate(pageScript);
    const peer = new ChromiumPeer();
    Object.assign(peer, { name: 'Chromium', server, browser, page, pid: server.process().pid });
    return peer;
  }
  async offer() {
    return this.page.evaluate(async () => {
      const pc = makePc();
      attach(pc.createDataChannel('bulk'));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      return JSON.stringify(pc.localDescription);
    });
  }
  async answer(offer) {
    return this.page.evaluate(async (o) => {
      const pc = makePc();
      await pc.setRemoteDescription(JSON.parse(o));
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      return JSON.stringify(pc.localDescription);
    }, offer);
  }
  async accept(answer) { await this.page.evaluate(async (a) => { await pc.setRemoteDescription(JSON.parse(a)); }, answer); }
  opened() { return this.page.evaluate(() => openedPromise); }
  async expect(n) {
    await this.page.evaluate((n) => { window.received = 0; window.expected = n; window.done = new Promise(r => { window.doneResolve = r; }); }, n);
    return this.page.evaluate(() => done);
  }
  sendBulk(n) {
    return this.page.evaluate(async (total) => {
      dc.bufferedAmountLowThreshold = 1 << 20;
      for (let i = 0; i < total; i += 65536) {
        if (dc.bufferedAmount > (4 << 20)) await new Promise(r => dc.addEventListener('bufferedamountlow', r, { once: true }));
        dc.send(i + 65536 <= total ? message : message.subarray(0, total - i));
      }
    }, n);
  }
  async close() { await this.browser.close(); await this.server.close(); }
}

// ---------------------------------------------------------------- one pair

async function measure(make, label) {
  const sender = await make[0]();
  const receiver = await make[1]();
  try {
    const offer = await sender.offer();
    const answer = await receiver.answer(offer);
    await sender.accept(answer);
    await Promise.all([sender.opened(), receiver.opened()]);
    const results = [];
    for (let r = 0; r < rounds; r++) {
      const done = receiver.expect(bytes);
      await new Promise(res => setTimeout(res, 200)); // EXPECT is in before the first byte
      const cpu0 = cpuSeconds(sender.pid) + cpuSeconds(receiver.pid);
      const start = process.hrtime.bigint();
      const sending = sender.sendBulk(bytes);
      await done;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await sending;
      const cpu = cpuSeconds(sender.pid) + cpuSeconds(receiver.pid) - cpu0;
      results.push({ seconds, cpu });
    }
    const best = results.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    const gbit = (bytes * 8) / best.seconds / 1e9;
    const cpuPerGB = best.cpu / (bytes / 1e9);
    console.log(`${label}: ${mib} MiB in ${best.seconds.toFixed(2)} s = ${gbit.toFixed(3)} Gbit/s (best of ${rounds}: ${results.map(r => r.seconds.toFixed(2)).join(', ')} s), ` +
      `${cpuPerGB.toFixed(1)} CPU-s/GB (both peers), PSS ${sender.name} ${pssMiB(sender.pid).toFixed(0)} MiB + ${receiver.name} ${pssMiB(receiver.pid).toFixed(0)} MiB`);
  } finally {
    await sender.close();
    await receiver.close();
  }
}

const dotnet = async () => new DotnetPeer();
const browser = () => ChromiumPeer.launch();
const only = process.env.PAIRS?.split(',');
const pairs = [
  ['csharp-csharp', [dotnet, dotnet], 'C# -> C#'],
  ['csharp-chromium', [dotnet, browser], 'C# -> Chromium'],
  ['chromium-csharp', [browser, dotnet], 'Chromium -> C#'],
  ['chromium-chromium', [browser, browser], 'Chromium -> Chromium'],
];
for (const [key, make, label] of pairs) {
  if (only && !only.includes(key)) continue;
  await measure(make, label);
}
