// Side-by-side magnet parsing: the node half of benchmarks/magnet-bench.sh.
//   node magnet-bench.mjs generate <file> [count]   writes the deterministic link corpus (one link a line)
//   node magnet-bench.mjs run <file> [passes]       times npm magnet-uri's decode over it with process.hrtime
// The same generator is ported in WebTorrent.Benchmarks/MagnetUri/MagnetLinkCorpus.cs (same PRNG, same draws).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

const here = path.dirname(fileURLToPath(import.meta.url))
const magnetUriEntry = path.join(here, '..', 'tests', 'interop', 'node_modules', 'magnet-uri', 'index.js')

const WORDS = ['Big', 'Buck', 'Bunny', 'Sintel', 'Tears', 'of', 'Steel', 'Leaves', 'Grass', '1080p', 'x264', 'Ubuntu',
  '24.04', 'desktop', 'amd64', '%C3%A9t%C3%A9', 'Cosmos', 'Laundromat', '%E6%97%A5%E6%9C%AC', 'Elephants', 'Dream']
const EXTENSIONS = ['.mkv', '.mp4', '.iso', '.epub', '.zip']
const TRACKERS = [
  'udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce',
  'udp%3A%2F%2Fexplodie.org%3A6969',
  'udp%3A%2F%2Ftracker.torrent.eu.org%3A451%2Fannounce',
  'wss%3A%2F%2Ftracker.btorrent.xyz',
  'wss%3A%2F%2Ftracker.openwebtorrent.com',
  'wss%3A%2F%2Ftracker.webtorrent.dev',
  'http%3A%2F%2Ftracker.example.org%3A8080%2Fannounce',
  'udp%3A%2F%2Fopen.stealth.si%3A80%2Fannounce'
]
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function mulberry32 (seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function base32 (bytes) {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) { bits -= 5; out += BASE32[(buffer >> bits) & 31] }
  }
  return out
}

export function * links (count) {
  const next = mulberry32(20261124)
  const int = n => Math.floor(next() * n)
  for (let i = 0; i < count; i++) {
    const bytes = Array.from({ length: 20 }, () => int(256))
    const xt = next() < 0.7
      ? 'urn:btih:' + bytes.map(b => b.toString(16).padStart(2, '0')).join('')
      : 'urn:btih:' + base32(bytes)
    const words = Array.from({ length: 1 + int(5) }, () => WORDS[int(WORDS.length)])
    const dn = words.join('+') + EXTENSIONS[int(EXTENSIONS.length)]
    let link = `magnet:?xt=${xt}&dn=${dn}`
    const trackers = 2 + int(4)
    for (let t = 0; t < trackers; t++) link += '&tr=' + TRACKERS[int(TRACKERS.length)]
    if (next() < 0.3) link += `&ws=https%3A%2F%2Fcdn.example.com%2Ffiles%2F${i}`
    yield link
  }
}

const [mode, file, arg] = process.argv.slice(2)
if (mode === 'generate') {
  const count = Number(arg ?? 1000000)
  writeFileSync(file, Array.from(links(count)).join('\n') + '\n')
  console.log(`generated ${count} links into ${file}`)
} else if (mode === 'run') {
  const { decode } = await import(pathToFileURL(magnetUriEntry).href)
  const text = readFileSync(file, 'utf8')
  const all = text.split('\n').filter(l => l.length > 0)
  const megabytes = Buffer.byteLength(text, 'utf8') / 1e6 // includes the newlines: within 0.5% of the links alone
  const passes = Number(arg ?? 5)
  let sink = 0
  for (const link of all.slice(0, 50000)) sink += decode(link).announce.length // warm up the JIT
  const times = []
  for (let p = 0; p < passes; p++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < all.length; i++) sink += decode(all[i]).announce.length
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]

  // Allocation: node has no allocated-bytes counter, so report what one decoded result keeps alive
  // (a lower bound on what decode allocates): heap growth while 100k results are held, after full GCs.
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const sample = all.slice(0, 100000)
  gc(); gc()
  const before = process.memoryUsage().heapUsed
  const kept = sample.map(l => decode(l))
  gc(); gc()
  const retained = (process.memoryUsage().heapUsed - before) / kept.length
  console.log(JSON.stringify({
    reference: `node ${process.version} magnet-uri decode`,
    links: all.length,
    megabytes: Number(megabytes.toFixed(1)),
    medianMs: Number(median.toFixed(1)),
    allMs: times.map(t => Number(t.toFixed(1))),
    mbPerSecond: Number((megabytes / (median / 1000)).toFixed(1)),
    nsPerLink: Number((median * 1e6 / all.length).toFixed(0)),
    retainedBytesPerLink: Math.round(retained),
    sink: sink > 0
  }))
} else {
  console.error('usage: node magnet-bench.mjs generate <file> [count] | run <file> [passes]')
  process.exit(2)
}
