#!/usr/bin/python3
"""libtorrent 2.0 peer for the client interop tests and benchmarks/client-download.sh.
Run it with Debian's /usr/bin/python3 (the python3-libtorrent package is built for it).

  seed <path> [options]       seed a file or folder. With --torrent FILE that torrent is seeded (its data is
                              <path>); otherwise a torrent is created from <path> (v1, --piece-length,
                              --tracker) and written to --save-torrent FILE when given.
                              prints {"event":"seeding","info_hash":...,"magnet":...,"port":...,...}
  download <magnet|.torrent|info-hash> --out DIR [--peer HOST:PORT]... [options]
                              download, dialling each --peer (again every 2 s while no peer is connected);
                              prints {"event":"metadata",...}, {"event":"progress",...} twice a second and
                              {"event":"done","seconds":...,"files":[{"path","size","sha1"}]}, then exits
                              (keeps seeding with --keep-seeding).

Common options: --port N (0 = any free port; default 0), --address A (default 127.0.0.1), --tracker URL
(announce to it: created torrents carry it, downloads add it), --high-performance (libtorrent's
high_performance_seed settings).

Every line on stdout is one JSON object. Lines read on stdin are commands: "connect HOST PORT" dials a peer,
"quit" exits; end of stdin exits too (so the process ends with whoever started it). Stdin is only read when
it is a pipe (not a terminal or /dev/null).
Everything stays where it is told: DHT, LSD, UPnP, NAT-PMP and uTP are off; outgoing encryption is off
(incoming is accepted), so peers see a plain BEP 3 handshake. The seeder prints
{"event":"stats","t":<unix time>,"uploaded":<payload bytes>,...} every --stats-interval seconds (default 1).
"""
import argparse
import hashlib
import json
import os
import queue
import stat
import sys
import threading
import time

import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def make_session(args):
    settings = lt.high_performance_seed() if args.high_performance else {}
    settings.update({
        'listen_interfaces': '%s:%d' % (args.address, args.port),
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(lt.enc_policy.disabled), 'in_enc_policy': int(lt.enc_policy.enabled),
        # trackers on loopback: announce from the listening address, accept a 127.x tracker
        'announce_to_all_trackers': True, 'announce_to_all_tiers': True,
        'alert_mask': int(lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
                          | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.tracker_notification),
        'user_agent': 'libtorrent/' + lt.__version__ + ' (client-interop)', 'peer_fingerprint': b'-LT2080-',
    })
    return lt.session(settings)


def stdin_commands():
    """A queue of stdin lines; None once stdin ends. Only a pipe is read: a terminal or /dev/null is ignored."""
    q = queue.Queue()
    if not stat.S_ISFIFO(os.fstat(0).st_mode):
        return q

    def pump():
        for line in sys.stdin:
            q.put(line.strip())
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def endpoint(text):
    host, _, port = text.rpartition(':')
    return host.strip('[]'), int(port)


def file_hashes(handle):
    ti = handle.torrent_file()
    files = ti.files()
    save = handle.status().save_path
    out = []
    for i in range(files.num_files()):
        if files.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        path = os.path.join(save, files.file_path(i))
        h = hashlib.sha1()
        with open(path, 'rb') as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
        out.append({'path': files.file_path(i), 'size': files.file_size(i), 'sha1': h.hexdigest()})
    return out


def drain_alerts(s):
    for a in s.pop_alerts():
        if isinstance(a, lt.metadata_received_alert):
            ti = a.handle.torrent_file()
            emit(event='metadata', name=ti.name(), total_size=ti.total_size(), pieces=ti.num_pieces(),
                 piece_length=ti.piece_length())
        elif isinstance(a, lt.hash_failed_alert):
            emit(event='hash_failed', piece=a.piece_index)
        elif isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
                            lt.peer_ban_alert)):
            emit(event='peer', message=a.message())
        elif isinstance(a, (lt.tracker_error_alert, lt.tracker_reply_alert)):
            emit(event='tracker', message=a.message())
        elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
            emit(event='error', message=a.message())


def run_commands(commands, handle):
    """Applies pending stdin commands; False when the process should exit."""
    while True:
        try:
            line = commands.get_nowait()
        except queue.Empty:
            return True
        if line is None or line == 'quit':
            return False
        parts = line.split()
        if len(parts) == 3 and parts[0] == 'connect':
            handle.connect_peer((parts[1], int(parts[2])))
            emit(event='connecting', peer='%s:%s' % (parts[1], parts[2]))
        elif parts:
            emit(event='error', message='unknown command: ' + line)


def seed(args):
    path = os.path.abspath(args.path)
    save_path = os.path.dirname(path)
    if args.torrent:
        ti = lt.torrent_info(args.torrent)
    else:
        fs = lt.file_storage()
        lt.add_files(fs, path)
        ct = lt.create_torrent(fs, args.piece_length, flags=lt.create_torrent.v1_only)
        for url in args.tracker:
            ct.add_tracker(url)
        ct.set_creator('client-libtorrent.py')
        lt.set_piece_hashes(ct, save_path)
        data = lt.bencode(ct.generate())
        if args.save_torrent:
            with open(args.save_torrent, 'wb') as f:
                f.write(data)
        ti = lt.torrent_info(data)
    commands = stdin_commands()
    s = make_session(args)
    # seed_mode: the data was just hashed (or is trusted): no recheck before serving
    h = s.add_torrent({'ti': ti, 'save_path': save_path, 'flags': lt.torrent_flags.seed_mode})
    for url in args.tracker if args.torrent else []:
        h.add_tracker({'url': url})
    deadline = time.time() + 120
    while not h.status().is_seeding:
        drain_alerts(s)
        if time.time() > deadline:
            emit(event='error', message='not seeding after 120 s')
            return 1
        time.sleep(0.02)
    ih = str(ti.info_hashes().v1)
    emit(event='seeding', info_hash=ih, magnet=lt.make_magnet_uri(ti), port=s.listen_port(),
         pieces=ti.num_pieces(), piece_length=ti.piece_length(), total_size=ti.total_size(), name=ti.name())
    for peer in args.peer:
        h.connect_peer(endpoint(peer))
    last = 0
    while run_commands(commands, h):
        drain_alerts(s)
        now = time.time()
        if now - last >= args.stats_interval:
            st = h.status()
            emit(event='stats', t=round(now, 3), uploaded=st.total_payload_upload, upload_rate=st.upload_rate,
                 peers=st.num_peers)
            last = now
        time.sleep(0.05)
    return 0


def download(args):
    commands = stdin_commands()
    s = make_session(args)
    source = args.source
    if source.startswith('magnet:'):
        params = lt.parse_magnet_uri(source)
    elif os.path.isfile(source):
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(source)
    else:
        params = lt.parse_magnet_uri('magnet:?xt=urn:btih:' + source)
    params.save_path = os.path.abspath(args.out)
    os.makedirs(params.save_path, exist_ok=True)
    start = time.time()
    h = s.add_torrent(params)
    for url in args.tracker:
        h.add_tracker({'url': url})
    peers = [endpoint(p) for p in args.peer]
    for p in peers:
        h.connect_peer(p)
    emit(event='added', port=s.listen_port())
    deadline = start + args.timeout
    redial = start + 2
    last = 0
    done = False
    while run_commands(commands, h):
        drain_alerts(s)
        st = h.status()
        now = time.time()
        if not done and st.is_seeding:
            done = True
            emit(event='done', seconds=round(now - start, 3), total_size=h.torrent_file().total_size(),
                 files=file_hashes(h))
            if not args.keep_seeding:
                return 0
        if now - last >= 0.5:
            emit(event='progress', progress=round(st.progress, 4), download_rate=st.download_rate,
                 downloaded=st.total_wanted_done, peers=st.num_peers)
            last = now
        if not done and now > redial and st.num_peers == 0:
            for p in peers:
                h.connect_peer(p)
            redial = now + 2
        if not done and now > deadline:
            emit(event='error', message='not done after %d s' % args.timeout)
            return 1
        time.sleep(0.05)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    for name in ('seed', 'download'):
        p = sub.add_parser(name)
        p.add_argument('--port', type=int, default=0)
        p.add_argument('--address', default='127.0.0.1')
        p.add_argument('--tracker', action='append', default=[])
        p.add_argument('--peer', action='append', default=[])
        p.add_argument('--high-performance', action='store_true')
        if name == 'seed':
            p.add_argument('path')
            p.add_argument('--torrent')
            p.add_argument('--save-torrent')
            p.add_argument('--piece-length', type=int, default=256 * 1024)
            p.add_argument('--stats-interval', type=float, default=1.0)
        else:
            p.add_argument('source')
            p.add_argument('--out', required=True)
            p.add_argument('--keep-seeding', action='store_true')
            p.add_argument('--timeout', type=int, default=600)
    args = parser.parse_args()
    return seed(args) if args.mode == 'seed' else download(args)


if __name__ == '__main__':
    sys.exit(main())
