"""Tessera from Python, through the client that `openapi-python-client` generates from
docs/openapi.json (never committed: .ci/clients.sh generates it into target/clients/python).

Signs in with a key file, reads the wallet's balances, prepares a transfer, checks that the
prepared body is the transfer asked for and that `id` is its hash, shows a signature over the
wrong bytes refused (`tx.bad_signature`), signs and submits, submits the same transaction again
(`tx.replayed`), reads the receipt and follows three events of the stream, then resumes it with
`Last-Event-ID`. Prints what it did; exits non-zero on any failure.

    python demo.py --node http://127.0.0.1:8080 --key alpha.key --to WALLET --asset USDX --amount 1.00
"""

import argparse
import hashlib
import json
import struct
import sys
import urllib.request
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tessera_client import AuthenticatedClient, Client
from tessera_client.api.auth import auth_challenge, auth_token
from tessera_client.api.transactions import prepare, submit, transaction
from tessera_client.api.wallets import wallet_balances
from tessera_client.models import (
    BalanceRow,
    BlockView,
    Challenge,
    ChallengeRequest,
    Committed,
    OpTransfer,
    Prepared,
    PrepareRequest,
    Problem,
    ReceiptView,
    SubmitRequest,
    Token,
    TokenRequest,
)

TX_DOMAIN = b"tessera/tx/v1"  # docs/formats.md, "The id, and what is signed"
TRANSFER_TAG = 12  # the transfer operation's tag (docs/formats.md, "Operations")


class Failed(Exception):
    pass


def expect(answer, kind, what):
    """The generated client answers the model of the status it got: a Problem for any refusal."""
    if isinstance(answer, Problem):
        raise Failed(f"{what}: {answer.status} {answer.code}: {answer.detail}")
    if not isinstance(answer, kind):
        raise Failed(f"{what}: unexpected answer {answer!r}")
    return answer


def load_key(path):
    """A key file holds the 32-byte Ed25519 seed as 64 hex digits (`tessera keys new|derive`)."""
    with open(path) as f:
        seed = bytes.fromhex(f.read().strip())
    key = Ed25519PrivateKey.from_private_bytes(seed)
    wallet = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    return key, wallet


def sign_in(node, key, wallet):
    anonymous = Client(base_url=node)
    challenge = expect(
        auth_challenge.sync(client=anonymous, body=ChallengeRequest(wallet=wallet)),
        Challenge,
        "challenge",
    )
    signature = key.sign(challenge.challenge.encode("utf-8")).hex()
    token = expect(
        auth_token.sync(
            client=anonymous,
            body=TokenRequest(wallet=wallet, challenge=challenge.challenge, signature=signature),
        ),
        Token,
        "token",
    )
    print(f"signed in: wallet {wallet[:16]}… party {token.party}, token until {token.expires_at.isoformat()}")
    return AuthenticatedClient(base_url=node, token=token.token)


def balances(client, wallet):
    rows = wallet_balances.sync(wallet, client=client)
    if not isinstance(rows, list):
        expect(rows, list, "balances")
    for row in rows:
        assert isinstance(row, BalanceRow)
        print(f"  {row.asset:<8} total {row.total} free {row.free} ({row.total_units} minor units in total)")
    return {row.asset: row for row in rows}


def read_transfer_body(body, signer, asset, to, units):
    """Decodes a body holding one transfer (docs/formats.md) and refuses any other: the node
    prepares the body, but the client must sign only what it asked for."""
    at = 0

    def take(n):
        nonlocal at
        if at + n > len(body):
            raise Failed("the prepared body is truncated")
        at += n
        return body[at - n : at]

    def string():
        (n,) = struct.unpack("<I", take(4))
        return take(n).decode("utf-8")

    network = string()
    body_signer = take(32).hex()
    (seq,) = struct.unpack("<Q", take(8))
    (expires_at,) = struct.unpack("<Q", take(8))
    (count,) = struct.unpack("<I", take(4))
    if count != 1 or take(1)[0] != TRANSFER_TAG:
        raise Failed("the prepared body is not one transfer")
    got = (string(), take(32).hex(), int.from_bytes(take(16), "little"))
    if at != len(body):
        raise Failed("the prepared body has trailing bytes")
    if body_signer != signer or got != (asset, to, units):
        raise Failed(f"the prepared body says {got}, signer {body_signer}; asked {(asset, to, units)}")
    return network, seq, expires_at


def post_signed(client, prepared, signature):
    return submit.sync(client=client, body=SubmitRequest(body_hex=prepared.body_hex, signature=signature.hex()))


def follow(node, token, from_height=None, last_event_id=None, count=3):
    """Reads `count` events of `/v1/events` with the standard library (server-sent events: the
    generated client reads whole answers, the stream never ends) and parses each `data` with the
    generated model of a block."""
    url = f"{node}/v1/events" + (f"?from={from_height}" if from_height is not None else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    if last_event_id is not None:
        req.add_header("Last-Event-ID", str(last_event_id))
    events, fields, data = [], {}, []
    with urllib.request.urlopen(req, timeout=30) as stream:
        for raw in stream:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line.startswith(":"):
                continue  # a keep-alive comment
            if line:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                else:
                    fields[name] = value
                continue
            if data:  # a blank line ends an event
                block = BlockView.from_dict(json.loads("\n".join(data)))
                events.append((fields.get("id"), fields.get("event"), block))
                if len(events) == count:
                    return events
            fields, data = {}, []
    raise Failed(f"the stream ended after {len(events)} events")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--node", required=True)
    ap.add_argument("--key", required=True, help="the signer's key file")
    ap.add_argument("--to", required=True, help="the receiving wallet (64 hex digits)")
    ap.add_argument("--asset", default="USDX")
    ap.add_argument("--amount", default="1.00", help="in the asset's units")
    args = ap.parse_args()

    key, wallet = load_key(args.key)
    client = sign_in(args.node, key, wallet)

    print("balances before:")
    held = balances(client, wallet)
    if args.asset not in held:
        raise Failed(f"the wallet holds no {args.asset}")
    units = Decimal(args.amount).scaleb(held[args.asset].decimals)
    if units != units.to_integral_value() or units <= 0:
        raise Failed(f"{args.amount} is not a positive amount of {args.asset}")
    units = int(units)

    # The amount in both forms, as answers write it: the node refuses the two if they disagree.
    op = OpTransfer.from_dict(
        {"transfer": {"asset": args.asset, "to": args.to, "amount": args.amount, "amount_units": int(units)}}
    )
    prepared = expect(prepare.sync(client=client, body=PrepareRequest(signer=wallet, ops=[op])), Prepared, "prepare")
    body = bytes.fromhex(prepared.body_hex)
    if hashlib.sha256(TX_DOMAIN + body).hexdigest() != prepared.id:
        raise Failed(f"refusing to sign: the prepared id {prepared.id} is not the hash of the prepared body")
    network, seq, _ = read_transfer_body(body, wallet, args.asset, args.to, units)
    print(f"prepared {prepared.id}: {args.amount} {args.asset} ({units} minor units) to {args.to[:16]}…, "
          f"seq {seq} on {network}; id = SHA-256(tessera/tx/v1 ‖ body) checked")

    # The classic mistake: signing the body instead of its 32-byte id. Refused at the door
    # (nothing journaled, the sequence number unspent), with a hint naming the right message.
    wrong = post_signed(client, prepared, key.sign(body))
    if not (isinstance(wrong, Problem) and wrong.status == 400 and wrong.code == "tx.bad_signature"):
        raise Failed(f"a signature over the body was not refused with tx.bad_signature: {wrong!r}")
    print(f"wrong bytes signed: {wrong.status} {wrong.code}: {wrong.detail}")

    signature = key.sign(bytes.fromhex(prepared.id))
    committed = expect(post_signed(client, prepared, signature), Committed, "submit")
    outcome = committed.receipt.outcome
    print(f"submitted: {committed.status} at height {committed.height}, outcome {outcome.status.value}, "
          f"events {[type(e).__name__ for e in outcome.events]}")

    # A retry of the same signed transaction (say the answer was lost): refused at admission,
    # nothing journaled twice; the receipt says what happened.
    again = post_signed(client, prepared, signature)
    if not (isinstance(again, Problem) and again.status == 409 and again.code == "tx.replayed"):
        raise Failed(f"a resubmission was not refused with tx.replayed: {again!r}")
    print(f"submitted again: {again.status} {again.code}: {again.detail}")

    receipt = expect(transaction.sync(prepared.id, client=client), ReceiptView, "receipt")
    if receipt.height != committed.height or receipt.receipt.tx != prepared.id:
        raise Failed("the receipt does not match the submission")
    print(f"receipt: block {receipt.height} #{receipt.index}, signer seq {receipt.seq}, "
          f"at {receipt.time.isoformat()}, outcome {receipt.receipt.outcome.status.value}")

    print("balances after:")
    after = balances(client, wallet)
    if int(after[args.asset].total_units) != int(held[args.asset].total_units) - units:
        raise Failed("the balance did not move by the amount")

    token = client.token
    print(f"events from height {committed.height - 2}:")
    for event_id, name, block in follow(args.node, token, from_height=committed.height - 2):
        mine = [r.receipt.tx[:16] for r in block.receipts]
        print(f"  id {event_id} event {name}: block {block.height} {block.hash_[:16]}… "
              f"{block.header.tx_count} tx, receipts seen {mine}")
    if str(block.height) != event_id or block.height != committed.height:
        raise Failed("the third event is not the transfer's block")
    if prepared.id not in [r.receipt.tx for r in block.receipts]:
        raise Failed("the transfer's block does not show its receipt to its signer")
    (resumed,) = follow(args.node, token, last_event_id=committed.height - 1, count=1)
    if resumed[2].height != committed.height:
        raise Failed(f"Last-Event-ID {committed.height - 1} resumed at block {resumed[2].height}")
    print(f"resumed with Last-Event-ID {committed.height - 1}: block {resumed[2].height}")
    print("python client: ok")


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        print(f"python client: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
