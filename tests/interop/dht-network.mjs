// A small network of npm bittorrent-dht nodes on 127.0.0.1 for the .NET DHT interop tests.
// Prints JSON lines: {"event":"ready","nodes":[{"port":..,"id":".."}]}, then answers commands read as JSON lines on stdin:
//   {"cmd":"announce","node":0,"infoHash":"<hex>","port":7001}  -> {"event":"announced","infoHash":..}
//   {"cmd":"lookup","node":1,"infoHash":"<hex>"}                 -> {"event":"peers","infoHash":..,"peers":["127.0.0.1:7002",..]}
//   {"cmd":"nodes","node":0}                                     -> {"event":"nodes","nodes":[{"id":..,"host":..,"port":..}]}
// Usage: node dht-network.mjs [count=4]
import DHT from 'bittorrent-dht'
import readline from 'readline'

const count = Number(process.argv[2] || 4)
const nodes = []
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')

for (let i = 0; i < count; i++) {
  // bootstrap: false keeps the public routers out; the nodes only learn of each other (and of the .NET node).
  const dht = new DHT({ bootstrap: false })
  dht.on('error', (err) => process.stderr.write(`dht ${i} error: ${err.message}\n`))
  dht.on('warning', (err) => process.stderr.write(`dht ${i} warning: ${err.message}\n`))
  await new Promise((resolve) => dht.listen(0, '127.0.0.1', resolve))
  nodes.push(dht)
}
// Full mesh by address: addNode without an id pings, and the pong adds the node to the table.
for (const a of nodes) for (const b of nodes) if (a !== b) a.addNode({ host: '127.0.0.1', port: b.address().port })
await new Promise((resolve) => setTimeout(resolve, 500))
print({ event: 'ready', nodes: nodes.map((d) => ({ port: d.address().port, id: d.nodeId.toString('hex'), table: d.toJSON().nodes.length })) })

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { return }
  const dht = nodes[cmd.node || 0]
  if (cmd.cmd === 'announce') {
    dht.announce(cmd.infoHash, cmd.port, (err) => print({ event: 'announced', infoHash: cmd.infoHash, error: err ? err.message : null }))
  } else if (cmd.cmd === 'lookup') {
    const peers = new Set()
    const onpeer = (peer, infoHash) => { if (infoHash.toString('hex') === cmd.infoHash) peers.add(`${peer.host}:${peer.port}`) }
    dht.on('peer', onpeer)
    dht.lookup(cmd.infoHash, (err) => {
      dht.removeListener('peer', onpeer)
      print({ event: 'peers', infoHash: cmd.infoHash, peers: [...peers], error: err ? err.message : null })
    })
  } else if (cmd.cmd === 'nodes') {
    print({ event: 'nodes', nodes: dht.toJSON().nodes })
  } else if (cmd.cmd === 'exit') {
    for (const d of nodes) d.destroy()
    process.exit(0)
  }
})
rl.on('close', () => { for (const d of nodes) d.destroy(); process.exit(0) })
