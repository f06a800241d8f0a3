// Node side of the Metainfo interop tests (tests/Interop.Tests/Metainfo).
//   node metainfo-node.mjs fixtures            one JSON line per .torrent in webtorrent-fixtures
//   node metainfo-node.mjs parse <file>...      one JSON line per given .torrent (parse-torrent's view)
//   node metainfo-node.mjs create <out> <json-options> <input>...
//                                             create-torrent on files/folders, writes <out>, prints its parse
import fs from 'fs'
import path from 'path'
import { fileURLToPath } from 'url'
import parseTorrent from 'parse-torrent'
import createTorrent from 'create-torrent'

const here = path.dirname(fileURLToPath(import.meta.url))

async function describe (file) {
  try {
    const t = await parseTorrent(fs.readFileSync(file))
    return {
      file: path.basename(file),
      ok: true,
      infoHash: t.infoHash,
      name: t.name,
      length: t.length,
      pieceLength: t.pieceLength,
      lastPieceLength: t.lastPieceLength,
      pieceCount: t.pieces.length,
      pieces: t.pieces.join(''),
      files: t.files.map(f => ({ path: f.path.split(path.sep).join('/'), length: f.length, offset: f.offset })),
      announce: t.announce,
      urlList: t.urlList,
      private: t.private === true,
      createdBy: t.createdBy ?? null,
      comment: t.comment ?? null,
      created: t.created ? Math.floor(t.created.getTime() / 1000) : null
    }
  } catch (err) {
    return { file: path.basename(file), ok: false, error: err.message }
  }
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'fixtures') {
  const dir = path.join(here, 'node_modules', 'webtorrent-fixtures', 'fixtures')
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.torrent')).sort()) {
    console.log(JSON.stringify(await describe(path.join(dir, f))))
  }
} else if (mode === 'parse') {
  for (const f of args) console.log(JSON.stringify(await describe(f)))
} else if (mode === 'create') {
  const [out, json, ...inputs] = args
  const opts = JSON.parse(json)
  if (opts.announceList === undefined) opts.announceList = []
  const buf = await new Promise((resolve, reject) =>
    createTorrent(inputs.length === 1 ? inputs[0] : inputs, opts, (err, torrent) => err ? reject(err) : resolve(torrent)))
  fs.writeFileSync(out, buf)
  console.log(JSON.stringify(await describe(out)))
} else {
  console.error('usage: metainfo-node.mjs fixtures | parse <file>... | create <out> <json> <input>...')
  process.exit(2)
}
