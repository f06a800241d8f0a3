// Reference for benchmarks/WebTorrent.Benchmarks/Protocol/PeerMessageBenchmarks: npm bittorrent-protocol parsing the same
// messages (64 x 16 KiB piece messages; 10,000 request messages), timed with process.hrtime. Prints one JSON line.
//   node tests/interop/protocol-bench.mjs [iterations]
import Protocol from 'bittorrent-protocol'

const iterations = Number(process.argv[2] ?? 200)
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const block = Buffer.alloc(16384, 7)
const pieces = Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.concat([u32(9 + block.length), Buffer.from([7]), u32(i), u32(0), block])))
const small = Buffer.concat(Array.from({ length: 10000 }, (_, i) => Buffer.concat([u32(13), Buffer.from([6]), u32(i % 1024), u32((i % 64) * 16384), u32(16384)])))
const handshake = Buffer.concat([Buffer.from('\x13BitTorrent protocol'), Buffer.alloc(8), Buffer.alloc(20), Buffer.alloc(20, 1)])

function newWire () {
  const wire = new Protocol()
  wire.on('error', () => {})
  wire.on('data', () => {}) // drain what it writes
  wire.write(handshake)
  wire.handshake(Buffer.alloc(20), Buffer.alloc(20, 2))
  wire.unchoke() // so requests are emitted, not ignored
  wire.setTimeout(0)
  return wire
}

async function time (buffer, event, count) {
  const samples = []
  for (let i = 0; i < iterations; i++) {
    const wire = newWire()
    await new Promise((resolve) => setImmediate(resolve))
    let seen = 0
    const done = new Promise((resolve) => wire.on(event, () => { if (++seen === count) resolve() }))
    const start = process.hrtime.bigint()
    wire.write(buffer)
    await done
    samples.push(Number(process.hrtime.bigint() - start) / 1e9)
    wire.destroy()
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]
}

const pieceSeconds = await time(pieces, 'piece', 64)
const smallSeconds = await time(small, 'request', 10000)
console.log(JSON.stringify({
  node: process.version,
  parsePiecesMedianMicroseconds: pieceSeconds * 1e6,
  parsePiecesGBps: (64 * 16384) / pieceSeconds / 1e9,
  parseSmallMedianMicroseconds: smallSeconds * 1e6,
  parseSmallMessagesPerSecond: 10000 / smallSeconds
}))
