// Node side of the WebTorrent.Protocol interop tests: npm bittorrent-protocol + ut_metadata over net sockets on 127.0.0.1.
//   node protocol-node.mjs seed <size> <pieceLength>    serve a generated torrent; prints {"event":"listening","port","info_hash"}
//   node protocol-node.mjs leech <port> <info_hash_hex>  connect, fetch the metadata from the info-hash alone, download every
//                                                         block, check each piece's SHA-1; prints {"event":"finished","sha1"}
// Every line on stdout is one JSON object.
import net from 'node:net'
import crypto from 'node:crypto'
import Protocol from 'bittorrent-protocol'
import utMetadata from 'ut_metadata'
import bencode from 'bencode'

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const sha1 = (b) => crypto.createHash('sha1').update(b).digest()
const peerId = Buffer.from('-BP5009-' + crypto.randomBytes(6).toString('hex'))
const BLOCK = 16384

function generate (size, pieceLength) {
  // Deterministic content (xorshift) so runs repeat.
  const content = Buffer.alloc(size)
  let x = 2463534242
  for (let i = 0; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; content[i] = x & 0xff }
  const pieces = []
  for (let o = 0; o < size; o += pieceLength) pieces.push(sha1(content.subarray(o, Math.min(size, o + pieceLength))))
  const info = bencode.encode({ length: size, name: 'node-interop.bin', 'piece length': pieceLength, pieces: Buffer.concat(pieces) })
  return { content, info: Buffer.from(info), infoHash: sha1(info) }
}

function seed (size, pieceLength) {
  const t = generate(size, pieceLength)
  const pieceCount = Math.ceil(size / pieceLength)
  const server = net.createServer((socket) => {
    const wire = new Protocol()
    socket.pipe(wire).pipe(socket)
    socket.on('error', () => {})
    wire.use(utMetadata(t.info))
    wire.on('handshake', (infoHash) => {
      if (infoHash !== t.infoHash.toString('hex')) { emit({ event: 'error', message: 'unknown info-hash ' + infoHash }); socket.destroy(); return }
      wire.handshake(t.infoHash, peerId, { dht: false, fast: true })
      if (wire.hasFast) wire.haveAll()
      else {
        const bits = Buffer.alloc(Math.ceil(pieceCount / 8))
        for (let i = 0; i < pieceCount; i++) bits[i >> 3] |= 0x80 >> (i & 7)
        wire.bitfield(bits)
      }
    })
    wire.on('interested', () => wire.unchoke())
    wire.on('request', (index, offset, length, respond) => {
      const start = index * pieceLength + offset
      respond(null, t.content.subarray(start, start + length))
    })
    wire.on('extended', (ext) => { if (ext === 'handshake') emit({ event: 'extended', v: wire.peerExtendedHandshake.v ? Buffer.from(wire.peerExtendedHandshake.v).toString() : null }) })
    wire.on('close', () => emit({ event: 'closed', uploaded: wire.uploaded }))
  })
  server.listen(0, '127.0.0.1', () => emit({ event: 'listening', port: server.address().port, info_hash: t.infoHash.toString('hex'), sha1: sha1(t.content).toString('hex') }))
}

function leech (port, infoHashHex) {
  const socket = net.connect(port, '127.0.0.1')
  const wire = new Protocol()
  socket.pipe(wire).pipe(socket)
  socket.on('error', (err) => emit({ event: 'error', message: err.message }))
  wire.use(utMetadata())
  wire.handshake(infoHashHex, peerId, { dht: false, fast: true })
  wire.on('handshake', () => { if (wire.hasFast) wire.haveNone() })
  wire.on('extended', (ext) => { if (ext === 'handshake') wire.ut_metadata.fetch() })
  wire.ut_metadata.on('warning', (err) => emit({ event: 'warning', message: err.message }))
  wire.ut_metadata.on('metadata', (torrent) => {
    const info = bencode.decode(torrent).info
    emit({ event: 'metadata', size: bencode.encode(info).length })
    const length = info.length
    const pieceLength = info['piece length']
    const pieceCount = Math.ceil(length / pieceLength)
    const content = Buffer.alloc(length)
    let done = 0
    wire.once('unchoke', () => {
      for (let index = 0; index < pieceCount; index++) {
        const size = Math.min(pieceLength, length - index * pieceLength)
        let blocks = 0
        const total = Math.ceil(size / BLOCK)
        for (let offset = 0; offset < size; offset += BLOCK) {
          wire.request(index, offset, Math.min(BLOCK, size - offset), (err, block) => {
            if (err) { emit({ event: 'error', message: err.message }); return }
            block.copy ? block.copy(content, index * pieceLength + offset) : content.set(block, index * pieceLength + offset)
            if (++blocks < total) return
            const ok = sha1(content.subarray(index * pieceLength, index * pieceLength + size)).equals(Buffer.from(info.pieces).subarray(index * 20, index * 20 + 20))
            emit({ event: 'piece', index, ok })
            if (++done === pieceCount) {
              emit({ event: 'finished', sha1: sha1(content).toString('hex'), downloaded: wire.downloaded })
              wire.destroy()
              socket.end()
            }
          })
        }
      }
    })
    wire.interested()
  })
}

const [mode, a, b] = process.argv.slice(2)
if (mode === 'seed') seed(Number(a), Number(b))
else if (mode === 'leech') leech(Number(a), b)
else { console.error('usage: protocol-node.mjs seed <size> <pieceLength> | leech <port> <info_hash>'); process.exit(2) }
