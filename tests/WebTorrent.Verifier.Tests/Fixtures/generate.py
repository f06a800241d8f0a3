#!/usr/bin/python3
"""Regenerates the third-party fixtures: .torrent files made by mktorrent (v1) and libtorrent (v2) over files whose
content is a function of their length (see FixtureData.cs, which must produce the same bytes).
Run with Debian's interpreter (it has python3-libtorrent): /usr/bin/python3 generate.py"""
import os, shutil, subprocess, tempfile
import libtorrent as lt

HERE = os.path.dirname(os.path.abspath(__file__))

def content(length):
    state = (length * 2654435761 + 12345) % 2**32
    out = bytearray(length)
    for i in range(length):
        state = (state * 1103515245 + 12345) % 2**32
        out[i] = (state >> 16) & 0xFF
    return bytes(out)

def write(root, rel, length):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(content(length))

for old in ('single-v1.torrent', 'multi-v1.torrent'):  # mktorrent will not overwrite
    if os.path.exists(os.path.join(HERE, old)):
        os.remove(os.path.join(HERE, old))
tmp = tempfile.mkdtemp()
try:
    # single file, 64 KiB pieces, last piece short
    write(tmp, 'single.bin', 300000)
    subprocess.run(['mktorrent', '-l', '16', '-o', os.path.join(HERE, 'single-v1.torrent'), os.path.join(tmp, 'single.bin')], check=True, stdout=subprocess.DEVNULL)
    # several files, 32 KiB pieces spanning file boundaries, an empty file, a nested directory
    multi = os.path.join(tmp, 'multi')
    for rel, length in [('a.bin', 100000), ('b-empty.bin', 0), ('c.bin', 70001), ('d/e.bin', 33333), ('f.bin', 5000), ('g.bin', 20000)]:
        write(multi, rel, length)
    subprocess.run(['mktorrent', '-l', '15', '-o', os.path.join(HERE, 'multi-v1.torrent'), multi], check=True, stdout=subprocess.DEVNULL)
    fs = lt.file_storage()
    lt.add_files(fs, multi)
    ct = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v2_only)
    lt.set_piece_hashes(ct, tmp)
    with open(os.path.join(HERE, 'multi-v2.torrent'), 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    # hybrid v1+v2: the v1 part has BEP 47 padding files (attr "p") aligning each file to a piece boundary
    ct = lt.create_torrent(fs, 32768)
    lt.set_piece_hashes(ct, tmp)
    with open(os.path.join(HERE, 'multi-hybrid.torrent'), 'wb') as f:
        f.write(lt.bencode(ct.generate()))
finally:
    shutil.rmtree(tmp)
