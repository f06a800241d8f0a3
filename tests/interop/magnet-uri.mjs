// The node side of tests/Interop.Tests/MagnetUri: runs the real npm magnet-uri over a corpus.
// Usage: node magnet-uri.mjs <requests.jsonl>
// Each request line is {"op":"decode","link":"magnet:?..."} or {"op":"encode","obj":{...}};
// each answer is one JSON line in the same order: the decoded fields, or {"link": "..."}; then "END".
import { readFileSync } from 'node:fs'
import { decode, encode } from 'magnet-uri'

const asArray = v => v === undefined ? [] : Array.isArray(v) ? v : [v]

function fields (link) {
  const r = decode(link)
  return {
    infoHash: r.infoHash ?? null,
    infoHashV2: r.infoHashV2 ?? null,
    name: r.name ?? null,
    announce: r.announce,
    urlList: r.urlList,
    xs: asArray(r.xs),
    as: asArray(r.as),
    kt: asArray(r.keywords),
    xl: r.xl ?? null,
    peerAddresses: r.peerAddresses,
    so: asArray(r.so).flat()
  }
}

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter(l => l.length > 0)
for (const line of lines) {
  const request = JSON.parse(line)
  let answer
  try {
    answer = request.op === 'encode' ? { link: encode(request.obj) } : fields(request.link)
  } catch (err) {
    answer = { error: String(err) }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
process.stdout.write('END\n')
