#!/usr/bin/python3
"""libtorrent 2.0 peer for the WebTorrent.Protocol interop tests (run with Debian's /usr/bin/python3).

  seed  <dir> <port> <size> <piece_length>  create a file + v1 torrent, seed it on 127.0.0.1:<port>,
                                            print {"event":"seeding","info_hash":...,"port":...}
  leech <dir> <port> <info_hash_hex> <peer_port>
                                            add a magnet (info-hash only), connect_peer to 127.0.0.1:<peer_port>,
                                            print {"event":"metadata"}, {"event":"piece",...},
                                            {"event":"finished","sha1":...} or {"event":"hash_failed",...}
Everything stays on loopback: DHT, LSD, UPnP, NAT-PMP off; encryption off so the handshake is plain BEP 3.
"""
import hashlib, json, os, random, sys, time
import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def session(port):
    s = lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(lt.enc_policy.disabled), 'in_enc_policy': int(lt.enc_policy.enabled),
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
        'alert_mask': int(lt.alert.category_t.all_categories),
        'user_agent': 'libtorrent/' + lt.__version__ + ' (protocol-interop)', 'peer_fingerprint': b'-LT2080-',
    })
    return s


def seed(directory, port, size, piece_length):
    path = os.path.join(directory, 'content.bin')
    rnd = random.Random(1234)
    with open(path, 'wb') as f:
        f.write(bytes(rnd.getrandbits(8) for _ in range(size)))
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece_length, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, directory)
    ti = lt.torrent_info(ct.generate())
    s = session(port)
    h = s.add_torrent({'ti': ti, 'save_path': directory})
    deadline = time.time() + 60
    while not h.status().is_seeding:
        if time.time() > deadline:
            emit(event='error', message='not seeding after 60 s')
            return 1
        time.sleep(0.05)
    emit(event='seeding', info_hash=str(ti.info_hashes().v1), port=s.listen_port(), pieces=ti.num_pieces(),
         piece_length=ti.piece_length(), total_size=ti.total_size())
    report(s, h, until=lambda: False)


def leech(directory, port, info_hash, peer_port):
    s = session(port)
    params = lt.parse_magnet_uri('magnet:?xt=urn:btih:' + info_hash)
    params.save_path = directory
    h = s.add_torrent(params)
    h.connect_peer(('127.0.0.1', peer_port))
    emit(event='added', port=s.listen_port())
    report(s, h, until=lambda: h.status().is_seeding, leeching=True)


def report(s, h, until, leeching=False):
    deadline = time.time() + 120
    reconnect = time.time() + 5
    finished = False
    while time.time() < deadline:
        for a in s.pop_alerts():
            if isinstance(a, lt.metadata_received_alert):
                emit(event='metadata')
            elif isinstance(a, lt.piece_finished_alert):
                emit(event='piece', piece=a.piece_index)
            elif isinstance(a, lt.hash_failed_alert):
                emit(event='hash_failed', piece=a.piece_index)
            elif isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert)):
                emit(event='peer', message=a.message())
        if leeching and not finished and until():
            finished = True
            ti = h.torrent_file()
            path = os.path.join(h.status().save_path, ti.files().file_path(0))
            with open(path, 'rb') as f:
                data = f.read()
            emit(event='finished', sha1=hashlib.sha1(data).hexdigest(), size=len(data))
        if leeching and not finished and time.time() > reconnect and h.status().num_peers == 0:
            h.connect_peer(('127.0.0.1', int(sys.argv[5])))
            reconnect = time.time() + 5
        time.sleep(0.05)
        if sys.stdin.closed:
            break


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'seed':
        sys.exit(seed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])) or 0)
    elif mode == 'leech':
        sys.exit(leech(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])) or 0)
    else:
        sys.exit('usage: protocol-libtorrent.py seed|leech ...')
