// A libdatachannel peer (node-datachannel) driven over stdin/stdout by tests/Interop.Tests/DataChannels.
// Usage: node datachannel-peer.mjs offer|answer
// Out: OFFER|ANSWER <base64 sdp>, OPEN <label>, CLOSED <label>, BULKHASH <hex>, SENT <hex>, READY
// In:  ANSWER|OFFER <base64 sdp>, CREATE <label>, BULK <bytes>, SEND <label> <bytes>, CLOSE <label>
import nodeDataChannel from 'node-datachannel';
import { createHash, randomFillSync } from 'node:crypto';
import readline from 'node:readline';

const mode = process.argv[2];
const say = (line) => process.stdout.write(line + '\n');
nodeDataChannel.initLogger('Error', () => {});

const pc = new nodeDataChannel.PeerConnection('interop', { iceServers: [], maxMessageSize: 262144 });
const channels = new Map();
let bulkExpected = 0;

function setup(dc) {
  const label = dc.getLabel();
  channels.set(label, dc);
  dc.onOpen(() => say(`OPEN ${label}`));
  dc.onClosed(() => say(`CLOSED ${label}`));
  if (label === 'bulk') {
    let hash = createHash('sha256');
    let received = 0;
    dc.onMessage((msg) => {
      const buf = typeof msg === 'string' ? Buffer.from(msg) : msg;
      hash.update(buf);
      received += buf.length;
      if (received === bulkExpected) {
        say(`BULKHASH ${hash.digest('hex')}`);
        hash = createHash('sha256');
        received = 0;
      }
    });
  } else {
    dc.onMessage((msg) => {
      if (typeof msg === 'string') dc.sendMessage(msg);
      else dc.sendMessageBinary(msg);
    });
  }
  if (dc.isOpen()) say(`OPEN ${label}`);
}

pc.onDataChannel((dc) => setup(dc));
pc.onGatheringStateChange((state) => {
  if (state !== 'complete') return;
  const d = pc.localDescription();
  say(`${d.type.toUpperCase()} ${Buffer.from(d.sdp).toString('base64')}`);
});

async function sendBulk(label, total) {
  const dc = channels.get(label);
  const hash = createHash('sha256');
  const block = Buffer.alloc(65536);
  dc.setBufferedAmountLowThreshold(1 << 20);
  for (let sent = 0; sent < total; sent += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, total - sent));
    randomFillSync(chunk);
    hash.update(chunk);
    while (dc.bufferedAmount() > (4 << 20)) await new Promise((r) => dc.onBufferedAmountLow(r));
    dc.sendMessageBinary(Buffer.from(chunk));
  }
  say(`SENT ${hash.digest('hex')}`);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [command, a, b] = line.trim().split(' ');
  switch (command) {
    case 'OFFER': pc.setRemoteDescription(Buffer.from(a, 'base64').toString(), 'offer'); break;
    case 'ANSWER': pc.setRemoteDescription(Buffer.from(a, 'base64').toString(), 'answer'); break;
    case 'CREATE': setup(pc.createDataChannel(a)); break;
    case 'BULK': bulkExpected = Number(a); say('READY'); break;
    case 'SEND': sendBulk(a, Number(b)).catch((e) => say(`ERROR ${e}`)); break;
    case 'CLOSE': channels.get(a)?.close(); break;
    case 'QUIT': pc.close(); process.exit(0);
  }
});
rl.on('close', () => { pc.close(); process.exit(0); });

if (mode === 'offer') setup(pc.createDataChannel('from-libdatachannel'));
say('STARTED');
