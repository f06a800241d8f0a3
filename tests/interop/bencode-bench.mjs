// Side-by-side reference for benchmarks/bencode-bench.sh: npm `bencode` decoding the same 1 MB torrent.
//   node bencode-bench.mjs write <path>   write the deterministic ~1 MB benchmark torrent
//   node bencode-bench.mjs decode <path>  time bencode.decode on it, print one JSON line
//   node bencode-bench.mjs parse-torrent <path>  time parse-torrent on it (the reference for TorrentMetainfo.Parse)
import fs from 'fs'
import bencode from 'bencode'
import parseTorrent from 'parse-torrent'

// A torrent with 4,000 files in nested folders and about 40,000 piece hashes: the shape of a large real one.
function makeTorrent () {
  let state = 12345
  const next = () => { state = (state * 1103515245 + 12345) & 0x7fffffff; return state }
  const files = []
  let total = 0
  for (let i = 0; i < 4000; i++) {
    const length = next() % 5242880
    total += length
    files.push({ length, path: [`folder ${i % 37}`, `sub ${i % 11}`, `file number ${i} of the benchmark set.bin`] })
  }
  const pieces = new Uint8Array(Math.ceil(total / 262144) * 20)
  for (let i = 0; i < pieces.length; i++) pieces[i] = next() & 0xff
  return bencode.encode({
    announce: 'wss://tracker.example/announce',
    'announce-list': [['wss://tracker.example/announce'], ['udp://tracker.example:6969']],
    comment: 'benchmark torrent',
    'created by': 'bencode-bench',
    'creation date': 1700000000,
    info: { files, name: 'benchmark', 'piece length': 262144, pieces }
  })
}

const [mode, file] = process.argv.slice(2)
if (mode === 'write') {
  fs.writeFileSync(file, makeTorrent())
} else if (mode === 'decode' || mode === 'parse-torrent') {
  // decode: bencode.decode alone; parse-torrent: the whole parse (decode, re-encode info, SHA-1, files).
  const buf = fs.readFileSync(file)
  const op = mode === 'decode' ? async () => bencode.decode(buf) : () => parseTorrent(buf)
  for (let i = 0; i < 30; i++) await op() // warm up the JIT
  const rounds = []
  for (let r = 0; r < 5; r++) {
    let ops = 0
    const start = process.hrtime.bigint()
    let elapsed = 0n
    while (elapsed < 1_000_000_000n) {
      await op()
      ops++
      elapsed = process.hrtime.bigint() - start
    }
    rounds.push(Number(elapsed) / ops)
  }
  rounds.sort((a, b) => a - b)
  const nsPerOp = rounds[2]
  console.log(JSON.stringify({ mode, bytes: buf.length, nsPerOp, mbPerSecond: buf.length / (nsPerOp / 1e9) / 1e6, node: process.version }))
} else {
  console.error('usage: bencode-bench.mjs write|decode|parse-torrent <path>')
  process.exit(2)
}
