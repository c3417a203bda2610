#!/usr/bin/env python3
"""Test fixtures for the independent verifier: damages a copy of a journal in one precise way
and prints the height of the block it damaged (what the verifier must name).

    tamper.py signature DIR   one byte of a transaction's signature inside a stored body; the
                              body checksum is recomputed, so only the signature check sees it
    tamper.py prev DIR        one byte of a header's `prev`; the stored block hash is
                              recomputed, so only the `prev` link sees it
    tamper.py delete DIR      one block's row deleted
    tamper.py export DIR OUT  writes a portable export of DIR's journal from its SQLite rows
                              (docs/formats.md, "The portable journal export"; for the reader's
                              tests while `tessera export` is not there)
    tamper.py export-flip OUT one byte of a block record of the export OUT changed

Each works on DIR/ledger.sqlite in place: run it on a copy. Picks a block in the middle of
the journal that has a transaction, so the damage is neither at the start nor at the end.
"""

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tessera_verify as tv  # noqa: E402


def connect(directory):
    return sqlite3.connect(str(Path(directory) / "ledger.sqlite"))


def rows(conn):
    return conn.execute(
        "SELECT height, hash, header, tx_prefixes, body_hash, body FROM blocks ORDER BY height"
    ).fetchall()


def middle_block_with_a_transaction(conn):
    heights = [h for h, _, _, prefixes, _, _ in rows(conn) if h > 0 and len(prefixes) > 0]
    if not heights:
        sys.exit("no block with a transaction")
    return heights[len(heights) // 2]


def signature(directory):
    conn = connect(directory)
    height = middle_block_with_a_transaction(conn)
    (body,) = conn.execute("SELECT body FROM blocks WHERE height = ?", (height,)).fetchone()
    decoder = tv.Decoder(tv.load_layouts(tv.DEFAULT_LAYOUTS))
    parsed = decoder.decode(decoder.roots["block_body"], body)
    _, end = parsed["txs"][0]["_span"]  # a signed transaction ends with its 64-byte signature
    body = bytearray(body)
    body[end - 64] ^= 0x01
    body = bytes(body)
    conn.execute(
        "UPDATE blocks SET body = ?, body_hash = ? WHERE height = ?", (body, hashlib.sha256(body).digest(), height)
    )
    conn.commit()
    return height


def prev(directory):
    conn = connect(directory)
    height = middle_block_with_a_transaction(conn)
    (header,) = conn.execute("SELECT header FROM blocks WHERE height = ?", (height,)).fetchone()
    header = bytearray(header)
    header[8] ^= 0x01  # prev: bytes 8..40, after the u64 height
    header = bytes(header)
    conn.execute(
        "UPDATE blocks SET header = ?, hash = ? WHERE height = ?", (header, tv.sha256(tv.BLOCK_DOMAIN, header), height)
    )
    conn.commit()
    return height


def delete(directory):
    conn = connect(directory)
    height = middle_block_with_a_transaction(conn)
    conn.execute("DELETE FROM blocks WHERE height = ?", (height,))
    conn.commit()
    return height


def record(previous, kind, payload):
    head = bytes([kind]) + len(payload).to_bytes(4, "little")
    check = tv.sha256(previous, head, payload)
    return head + payload + check, check


def export(directory, out):
    layouts = tv.load_layouts(tv.DEFAULT_LAYOUTS)
    conn = connect(directory)
    all_rows = rows(conn)
    network = tv.Decoder(layouts).decode("BlockBody", all_rows[0][5])["genesis"]["genesis"]["network"]
    preamble = {
        "format": "tessera-journal",
        "version": 1,
        "network": network,
        "exported_by": "verifier/tamper.py (test fixture)",
        "layouts": layouts,
    }
    data = bytearray(tv.EXPORT_MAGIC)
    previous = tv.sha256(tv.EXPORT_MAGIC)
    chunk, previous = record(previous, tv.KIND_PREAMBLE, json.dumps(preamble).encode())
    data += chunk
    for _, _, header, _, _, body in all_rows:
        chunk, previous = record(previous, tv.KIND_BLOCK, header + body)
        data += chunk
    Path(out).write_bytes(bytes(data))
    return len(all_rows)


def export_flip(out):
    """Changes the last byte of the middle block record's payload; returns its height."""
    data = bytearray(Path(out).read_bytes())
    at = len(tv.EXPORT_MAGIC)
    blocks = []
    while at < len(data):
        length = int.from_bytes(data[at + 1 : at + 5], "little")
        if data[at] == tv.KIND_BLOCK:
            blocks.append((at, length))
        at += 5 + length + 32
    at, length = blocks[len(blocks) // 2]
    data[at + 5 + length - 1] ^= 0x01
    Path(out).write_bytes(bytes(data))
    return int.from_bytes(data[at + 5 : at + 13], "little")


def main(argv):
    if len(argv) == 2 and argv[0] in ("signature", "prev", "delete"):
        print({"signature": signature, "prev": prev, "delete": delete}[argv[0]](argv[1]))
    elif len(argv) == 3 and argv[0] == "export":
        print(export(argv[1], argv[2]))
    elif len(argv) == 2 and argv[0] == "export-flip":
        print(export_flip(argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
