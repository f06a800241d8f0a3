// npm bittorrent-tracker's server (HTTP + UDP + WebSocket) on 127.0.0.1, free ports, printed as one JSON line.
import { Server } from 'bittorrent-tracker';
const server = new Server({ udp: true, http: true, ws: true, stats: false, trustProxy: false });
server.on('error', e => console.error('tracker error', e.message));
server.on('warning', e => console.error('tracker warning', e.message));
server.listen({ http: 0, udp: 0 }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => {
  console.log(JSON.stringify({ ready: true, http: server.http.address().port, udp: server.udp4.address().port }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
