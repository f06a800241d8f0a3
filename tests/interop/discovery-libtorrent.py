#!/usr/bin/python3
"""libtorrent 2.0 peer for the WebTorrent discovery interop tests (run with Debian's /usr/bin/python3).

  lsd <dir> <info_hash_hex>   a session on 127.0.0.1 (any port) with local service discovery (BEP 14) on and
                              everything else off, holding a magnet of <info_hash_hex>; prints
                              {"event":"ready","port":...}, then {"event":"peer","ip":...,"port":...,"lsd":true|false}
                              for every peer it connects to (LSD is its only peer source here). Runs for 120 s at most.
Run it inside the test network namespace only: LSD multicasts (on lo here).
"""
import json, sys, time
import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def lsd(directory, info_hash):
    s = lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False, 'enable_lsd': True, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
        'alert_mask': int(lt.alert.category_t.all_categories),
    })
    params = lt.parse_magnet_uri('magnet:?xt=urn:btih:' + info_hash)
    params.save_path = directory
    h = s.add_torrent(params)
    ready = False
    seen = set()
    deadline = time.time() + 120
    while time.time() < deadline:
        for a in s.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert) and not ready:
                ready = True
                emit(event='ready', port=s.listen_port())
        for p in h.get_peer_info():
            key = (p.ip[0], p.ip[1])
            if key not in seen:
                seen.add(key)
                emit(event='peer', ip=p.ip[0], port=p.ip[1], lsd=bool(p.source & lt.peer_info.lsd))
        if not ready and s.listen_port() > 0:
            ready = True
            emit(event='ready', port=s.listen_port())
        time.sleep(0.05)


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'lsd':
        sys.exit(lsd(sys.argv[2], sys.argv[3]) or 0)
    sys.exit('usage: discovery-libtorrent.py lsd <dir> <info_hash_hex>')
