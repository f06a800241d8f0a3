// Chromium <-> Chromium time to 'connected' (offer/answer non-trickle + ICE + DTLS), the reference for
// ConnectBenchmarks. Run inside the test network namespace: node webrtc-chromium-connect.mjs [iterations]
import { chromium } from 'playwright-core';

const iterations = Number(process.argv[2] ?? 20);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
try {
  const page = await browser.newPage();
  await page.goto('about:blank');
  const times = await page.evaluate(async (n) => {
    const gathered = (pc) => new Promise(resolve => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    });
    const connected = (pc) => new Promise((resolve, reject) => {
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') resolve();
        if (pc.connectionState === 'failed') reject(new Error('failed'));
      });
    });
    const result = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.createDataChannel('x');
      await a.setLocalDescription(await a.createOffer());
      await gathered(a);
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await gathered(b);
      const both = Promise.all([connected(a), connected(b)]);
      await a.setRemoteDescription(b.localDescription);
      await both;
      result.push(performance.now() - start);
      a.close();
      b.close();
    }
    return result;
  }, iterations);
  times.sort((x, y) => x - y);
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  console.log(`chromium-chromium connect: n=${times.length} mean=${mean.toFixed(1)} ms median=${times[Math.floor(times.length / 2)].toFixed(1)} ms`);
} finally {
  await browser.close();
}
