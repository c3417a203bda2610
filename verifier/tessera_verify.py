#!/usr/bin/env python3
"""An independent verifier of a Tessera journal, written from docs/formats.md alone.

It reads a SQLite journal (a data directory, or its ledger.sqlite) or a portable journal
export, decodes every block with a generic borsh decoder driven by the published layouts
(docs/formats/layouts.json, or the layouts in the export's preamble) and checks, block by
block: heights run from 0 without gaps, the stored body checksum, the header hash, the `prev`
link, every transaction's Ed25519 signature over its id, the transaction-id index, both Merkle
roots. It stops at the first block that disagrees and names it.

It does not re-execute transactions: the receipts' contents and the state digest are checked by
`tessera verify`.

Exit status: 0 verified, 1 a block disagrees, 2 the input cannot be read.
Needs Python 3.9+ and the `cryptography` package (Ed25519); nothing else.
"""

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - reported as unreadable input's sibling: a setup problem
    print("tessera_verify: the `cryptography` package is needed (pip install cryptography)", file=sys.stderr)
    sys.exit(2)

DEFAULT_LAYOUTS = Path(__file__).resolve().parent.parent / "docs" / "formats" / "layouts.json"

# docs/formats.md: domain prefixes and sizes.
TX_DOMAIN = b"tessera/tx/v1"
BLOCK_DOMAIN = b"tessera/block/v1"
MERKLE_EMPTY = b"tessera/merkle/empty"
HEADER_LEN = 148
PREFIX_LEN = 8
ZERO_HASH = bytes(32)

# docs/formats.md, "The portable journal export".
EXPORT_MAGIC = b"TESSERA-JOURNAL\n"
KIND_PREAMBLE = 1
KIND_BLOCK = 2
SQLITE_MAGIC = b"SQLite format 3\x00"


class Unreadable(Exception):
    """The input is not a journal this verifier can read (exit 2)."""


class Disagreement(Exception):
    """A block disagrees with the formats (exit 1)."""

    def __init__(self, height, check, message):
        super().__init__(message)
        self.height = height
        self.check = check
        self.message = message


class DecodeError(Exception):
    pass


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


# ---------------------------------------------------------------------------------------------
# A borsh decoder that knows nothing but the layouts JSON (its shape: docs/formats.md, "Layouts
# of every type"). Structs decode to dicts, enums to dicts with "_tag" and "_variant"; every
# struct and enum value also records "_span", the (start, end) of its bytes, because the hashes
# the verifier recomputes are over exact byte ranges.


class Decoder:
    def __init__(self, layouts):
        if layouts.get("format") != "tessera-layouts" or layouts.get("version") != 1:
            raise Unreadable("layouts: not a tessera-layouts document of version 1")
        self.types = layouts["types"]
        self.roots = layouts["roots"]

    def decode(self, name, data):
        """The whole of `data` as `name`; trailing bytes are an error, as in borsh."""
        value, end = self.read(name, data, 0, 0)
        if end != len(data):
            raise DecodeError(f"{len(data) - end} bytes left after a whole {name}")
        return value

    def read(self, name, data, at, depth):
        if depth > 200:
            raise DecodeError("nesting too deep")
        layout = self.types.get(name)
        if layout is None:
            raise DecodeError(f"no layout for {name}")
        kind = layout["kind"]
        if kind == "primitive":
            width = layout["width"]
            raw = take(data, at, width)
            repr_ = layout["repr"]
            if repr_ == "bool":
                if raw[0] > 1:
                    raise DecodeError(f"{raw[0]} is not a bool")
                return raw[0] == 1, at + width
            if repr_ == "unit":
                return None, at
            return int.from_bytes(raw, "little", signed=(repr_ == "signed")), at + width
        if kind == "string":
            width = layout["length_width"]
            n = int.from_bytes(take(data, at, width), "little")
            at += width
            raw = take(data, at, n)
            try:
                return raw.decode("utf-8"), at + n
            except UnicodeDecodeError as e:
                raise DecodeError(f"{name}: invalid UTF-8 ({e})") from None
        if kind in ("sequence", "array"):
            if kind == "sequence":
                width = layout["length_width"]
                n = int.from_bytes(take(data, at, width), "little")
                at += width
            else:
                n = layout["length"]
            element = layout["element"]
            if self.is_byte(element):
                return take(data, at, n), at + n
            items = []
            for _ in range(n):
                item, at = self.read(element, data, at, depth + 1)
                items.append(item)
            return items, at
        if kind == "option":
            tag = take(data, at, 1)[0]
            if tag == 0:
                return None, at + 1
            if tag == 1:
                return self.read(layout["element"], data, at + 1, depth + 1)
            raise DecodeError(f"{name}: option tag {tag}")
        if kind == "tuple":
            items = []
            for element in layout["elements"]:
                item, at = self.read(element, data, at, depth + 1)
                items.append(item)
            return items, at
        if kind == "struct":
            start = at
            value = {}
            for field in layout["fields"]:
                value[field["name"]], at = self.read(field["type"], data, at, depth + 1)
            value["_span"] = (start, at)
            return value, at
        if kind == "enum":
            start = at
            width = layout["tag_width"]
            tag = int.from_bytes(take(data, at, width), "little")
            at += width
            for variant in layout["variants"]:
                if variant["tag"] == tag:
                    break
            else:
                raise DecodeError(f"{name}: unknown tag {tag}")
            value = {"_tag": tag, "_variant": variant["name"]}
            for field in variant["fields"]:
                value[field["name"]], at = self.read(field["type"], data, at, depth + 1)
            value["_span"] = (start, at)
            return value, at
        raise DecodeError(f"{name}: unknown kind {kind}")

    def is_byte(self, name):
        layout = self.types.get(name, {})
        return layout.get("kind") == "primitive" and layout.get("width") == 1 and layout.get("repr") == "unsigned"


def take(data, at, n):
    if at + n > len(data):
        raise DecodeError(f"{n} bytes needed at offset {at}, {len(data) - at} left")
    return data[at : at + n]


def newtype_bytes(value):
    """A wallet id or hash: a struct of one field, the 32 bytes."""
    return value["0"] if isinstance(value, dict) else value


# ---------------------------------------------------------------------------------------------
# docs/formats.md, "Merkle roots".


def merkle_root(leaves):
    if not leaves:
        return sha256(MERKLE_EMPTY)
    level = [sha256(b"\x00", leaf) for leaf in leaves]
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                nxt.append(sha256(b"\x01", level[i], level[i + 1]))
            else:
                nxt.append(level[i])
        level = nxt
    return level[0]


def verify_signature(signer, message, signature):
    try:
        Ed25519PublicKey.from_public_bytes(signer).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# The checks, one block at a time.


class Chain:
    def __init__(self, decoder):
        self.decoder = decoder
        self.blocks = 0
        self.transactions = 0
        self.head = None  # the last verified block's hash
        self.network = None
        self.time = None  # the last verified block's time

    def check(self, height, header_bytes, body_bytes, stored=None):
        """Checks one block. `stored` (SQLite only) holds the row's `hash`, `tx_prefixes` and
        `body_hash` columns."""
        d = self.decoder
        expected = self.blocks
        if height != expected:
            if height > expected:
                raise Disagreement(
                    expected,
                    "height",
                    f"missing: the journal goes from block {expected - 1} to block {height}"
                    if expected
                    else f"missing: the journal starts at block {height}",
                )
            raise Disagreement(height, "height", f"height {height} repeats or goes back (expected {expected})")
        if stored is not None and sha256(body_bytes) != stored["body_hash"]:
            raise Disagreement(height, "body_hash", "the body bytes do not hash to the stored body checksum")
        if len(header_bytes) != HEADER_LEN:
            raise Disagreement(height, "header", f"the header is {len(header_bytes)} bytes, not {HEADER_LEN}")
        try:
            header = d.decode(d.roots["block_header"], header_bytes)
        except DecodeError as e:
            raise Disagreement(height, "header", f"the header does not decode: {e}") from None
        block_hash = sha256(BLOCK_DOMAIN, header_bytes)
        if header["height"] != height:
            raise Disagreement(height, "header", f"the header says height {header['height']}")
        if stored is not None and stored["hash"] != block_hash:
            raise Disagreement(
                height,
                "header_hash",
                f"the stored block hash {stored['hash'].hex()} is not the header's hash {block_hash.hex()}",
            )
        prev = newtype_bytes(header["prev"])
        want_prev = ZERO_HASH if height == 0 else self.head
        if prev != want_prev:
            raise Disagreement(
                height, "prev", f"prev is {prev.hex()}, but the previous block's hash is {want_prev.hex()}"
            )
        time = newtype_bytes(header["time"])
        if self.time is not None and time < self.time:
            raise Disagreement(
                height, "time", f"the block time {time} is earlier than the previous block's {self.time}"
            )
        try:
            body = d.decode(d.roots["block_body"], body_bytes)
        except DecodeError as e:
            raise Disagreement(height, "body", f"the body does not decode: {e}") from None

        genesis = body["genesis"]
        genesis_value = genesis.get("genesis") if genesis["_tag"] != 0 else None
        if (height == 0) != (genesis_value is not None):
            raise Disagreement(height, "genesis", "only block 0 carries a genesis, and it must")
        if genesis_value is not None:
            self.network = genesis_value["network"]

        # Signatures first: a changed signature also changes the receipts root, and the report
        # should say what was changed.
        ids = []
        for i, tx in enumerate(body["txs"]):
            start, end = tx["body"]["_span"]
            tx_id = sha256(TX_DOMAIN, body_bytes[start:end])
            ids.append(tx_id)
            signer = newtype_bytes(tx["body"]["signer"])
            if not verify_signature(signer, tx_id, tx["signature"]):
                raise Disagreement(
                    height,
                    "signature",
                    f"transaction {i} (id {tx_id.hex()}): the signature does not verify for signer {signer.hex()}",
                )
        if header["tx_count"] != len(ids):
            raise Disagreement(
                height, "tx_count", f"the header counts {header['tx_count']} transactions, the body holds {len(ids)}"
            )
        receipts = body["receipts"]
        if len(receipts) != len(ids):
            raise Disagreement(height, "receipts", f"{len(receipts)} receipts for {len(ids)} transactions")
        for i, (receipt, tx_id) in enumerate(zip(receipts, ids)):
            if newtype_bytes(receipt["tx"]) != tx_id:
                raise Disagreement(
                    height,
                    "receipts",
                    f"receipt {i} names {newtype_bytes(receipt['tx']).hex()}, not transaction {i} ({tx_id.hex()})",
                )
        if stored is not None:
            index = b"".join(tx_id[:PREFIX_LEN] for tx_id in ids)
            if stored["tx_prefixes"] != index:
                raise Disagreement(
                    height,
                    "tx_index",
                    "the transaction-id index (tx_prefixes) is not the first 8 bytes of each id in order",
                )

        leaves = list(ids)
        if genesis_value is not None:
            start, end = genesis_value["_span"]
            leaves.insert(0, sha256(body_bytes[start:end]))
        if merkle_root(leaves) != newtype_bytes(header["tx_root"]):
            raise Disagreement(height, "tx_root", "the transactions root is not the root of the body's transactions")

        leaves = []
        for receipt, tx in zip(receipts, body["txs"]):
            start, end = receipt["_span"]
            leaves.append(sha256(body_bytes[start:end], tx["signature"]))
        start, end = body["system"]["_span"]
        leaves.append(sha256(body_bytes[start:end]))
        if merkle_root(leaves) != newtype_bytes(header["receipt_root"]):
            raise Disagreement(height, "receipt_root", "the receipts root is not the root of the body's receipts")

        self.blocks += 1
        self.transactions += len(ids)
        self.head = block_hash
        self.time = time


# ---------------------------------------------------------------------------------------------
# Inputs.


def load_layouts(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Unreadable(f"layouts {path}: {e}") from None


def verify_sqlite(path, layouts):
    """docs/formats.md, "The SQLite journal"."""
    chain = Chain(Decoder(layouts))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        rows = conn.execute("SELECT height, hash, header, tx_prefixes, body_hash, body FROM blocks ORDER BY height")
    except sqlite3.Error as e:
        raise Unreadable(f"{path}: {e}") from None
    try:
        for height, block_hash, header, tx_prefixes, body_hash, body in rows:
            if not all(isinstance(c, bytes) for c in (block_hash, header, tx_prefixes, body_hash, body)):
                raise Disagreement(height, "row", "a column is not a blob")
            stored = {"hash": block_hash, "tx_prefixes": tx_prefixes, "body_hash": body_hash}
            chain.check(height, header, body, stored)
    except sqlite3.Error as e:
        raise Unreadable(f"{path}: {e}") from None
    finally:
        conn.close()
    return chain, "sqlite"


def read_export(path):
    """The records of a portable export (docs/formats.md, "The portable journal export"),
    yielded as (index, kind, payload) while their checks hold; a failed check raises
    Disagreement naming the record (and its block's height when the payload reads)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise Unreadable(f"{path}: {e}") from None
    if not data.startswith(EXPORT_MAGIC):
        raise Unreadable(f"{path}: not a Tessera journal export (no magic)")
    at = len(EXPORT_MAGIC)
    previous = sha256(EXPORT_MAGIC)
    index = 0
    while at < len(data):
        if at + 5 > len(data):
            raise Disagreement(None, "export", f"export record {index}: truncated")
        kind = data[at]
        length = int.from_bytes(data[at + 1 : at + 5], "little")
        payload = data[at + 5 : at + 5 + length]
        check = data[at + 5 + length : at + 5 + length + 32]
        if len(payload) != length or len(check) != 32:
            raise Disagreement(None, "export", f"export record {index}: truncated")
        want = sha256(previous, data[at : at + 5], payload)
        if check != want:
            height = None
            if kind == KIND_BLOCK and length >= 8:
                height = int.from_bytes(payload[:8], "little")
            raise Disagreement(height, "export_check", f"export record {index}: its check does not match its bytes")
        yield index, kind, payload
        previous = check
        at += 5 + length + 32
        index += 1


def verify_export(path, default_layouts_path):
    records = read_export(path)
    chain = None
    for index, kind, payload in records:
        if index == 0:
            if kind != KIND_PREAMBLE:
                raise Unreadable(f"{path}: the first record is not the preamble")
            try:
                preamble = json.loads(payload.decode("utf-8"))
            except ValueError as e:
                raise Unreadable(f"{path}: the preamble is not JSON: {e}") from None
            if preamble.get("format") != "tessera-journal" or preamble.get("version") != 1:
                raise Unreadable(f"{path}: the preamble is not tessera-journal version 1")
            # The file describes itself; the published layouts are the fallback.
            layouts = preamble.get("layouts") or load_layouts(default_layouts_path)
            chain = Chain(Decoder(layouts))
            network = preamble.get("network")
            continue
        if kind == KIND_PREAMBLE:
            raise Disagreement(None, "export", f"export record {index}: a second preamble")
        if kind != KIND_BLOCK:
            raise Disagreement(None, "export", f"export record {index}: unknown kind {kind}")
        if len(payload) < HEADER_LEN:
            raise Disagreement(None, "export", f"export record {index}: a block shorter than its header")
        height = int.from_bytes(payload[:8], "little")
        chain.check(height, payload[:HEADER_LEN], payload[HEADER_LEN:])
        if height == 0 and network is not None and chain.network != network:
            raise Disagreement(0, "network", f"the preamble names network {network!r}, the genesis {chain.network!r}")
    if chain is None:
        raise Unreadable(f"{path}: no preamble")
    return chain, "export"


def verify(path, layouts_path):
    path = Path(path)
    if path.is_dir():
        path = path / "ledger.sqlite"
    try:
        with open(path, "rb") as f:
            start = f.read(16)
    except OSError as e:
        raise Unreadable(f"{path}: {e}") from None
    if start.startswith(EXPORT_MAGIC):
        return verify_export(path, layouts_path)
    if start == SQLITE_MAGIC:
        return verify_sqlite(path, load_layouts(layouts_path))
    raise Unreadable(f"{path}: neither a SQLite journal nor a Tessera journal export")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Verify a Tessera journal (a data directory, its ledger.sqlite, or a portable export) "
        "from the published formats."
    )
    parser.add_argument("journal", help="data directory, ledger.sqlite, or export file")
    parser.add_argument(
        "--layouts", default=str(DEFAULT_LAYOUTS), help="layouts JSON (default: docs/formats/layouts.json)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON answer")
    args = parser.parse_args(argv)

    def answer(code, obj, text):
        if args.json:
            print(json.dumps(obj, sort_keys=True))
        else:
            print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code

    try:
        chain, source = verify(args.journal, args.layouts)
    except (KeyError, TypeError, AttributeError) as e:
        # Layouts that do not have the published shape.
        return answer(
            2, {"ok": False, "unreadable": f"malformed layouts: {e!r}"}, f"unreadable: malformed layouts: {e!r}"
        )
    except Unreadable as e:
        return answer(2, {"ok": False, "unreadable": str(e)}, f"unreadable: {e}")
    except Disagreement as e:
        where = f"block {e.height}: " if e.height is not None else ""
        return answer(
            1, {"ok": False, "height": e.height, "check": e.check, "message": e.message}, f"{where}{e.message}"
        )
    if chain.blocks == 0:
        return answer(
            2, {"ok": False, "unreadable": "the journal holds no block"}, "unreadable: the journal holds no block"
        )
    head = chain.head.hex()
    return answer(
        0,
        {"ok": True, "source": source, "blocks": chain.blocks, "transactions": chain.transactions, "head": head},
        f"verified {chain.blocks} blocks, {chain.transactions} transactions, head {head}",
    )


if __name__ == "__main__":
    sys.exit(main())
