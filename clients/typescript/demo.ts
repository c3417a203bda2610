// Tessera from TypeScript on Node: types generated from docs/openapi.json by openapi-typescript
// (never committed: .ci/clients.sh generates generated/tessera.d.ts), requests by openapi-fetch,
// Ed25519 and SHA-256 by Node's built-in crypto, the event stream by fetch.
//
// Signs in with a key file, reads the wallet's balances, prepares a transfer, checks that the
// prepared body is the transfer asked for and that `id` is its hash, shows a signature over the
// wrong bytes refused (`tx.bad_signature`), signs and submits, submits the same transaction again
// (`tx.replayed`), reads the receipt and follows three events of the stream, then resumes it with
// `Last-Event-ID`. Prints what it did; exits non-zero on any failure.
//
//   node demo.js --node http://127.0.0.1:8080 --key alpha.key --to WALLET [--asset USDX] [--amount 1.00]

import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./generated/tessera.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type BlockView = Schemas["BlockView"];

const TX_DOMAIN = Buffer.from("tessera/tx/v1"); // docs/formats.md, "The id, and what is signed"
const TRANSFER_TAG = 12; // the transfer operation's tag (docs/formats.md, "Operations")
// A PKCS#8 wrapper for a raw 32-byte Ed25519 seed (RFC 8410): Node imports keys in DER.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

class Failed extends Error {}

/** openapi-fetch answers `data` for a 2xx and `error` (a Problem here) for anything else. */
function expect<T>(r: { data?: T; error?: Problem; response: Response }, what: string): T {
  if (r.data === undefined) {
    const p = r.error;
    throw new Failed(`${what}: ${r.response.status} ${p?.code}: ${p?.detail}`);
  }
  return r.data;
}

/** A key file holds the 32-byte Ed25519 seed as 64 hex digits (`tessera keys new|derive`). */
function loadKey(path: string): { key: KeyObject; wallet: string } {
  const seed = Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  if (seed.length !== 32) throw new Failed(`${path}: not a 32-byte seed in hex`);
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return { key, wallet: spki.subarray(spki.length - 32).toString("hex") };
}

async function signIn(node: string, key: KeyObject, wallet: string): Promise<{ api: Client<paths>; token: string }> {
  const anonymous = createClient<paths>({ baseUrl: node });
  const challenge = expect(await anonymous.POST("/v1/auth/challenge", { body: { wallet } }), "challenge");
  const signature = sign(null, Buffer.from(challenge.challenge, "utf8"), key).toString("hex");
  const token = expect(
    await anonymous.POST("/v1/auth/token", { body: { wallet, challenge: challenge.challenge, signature } }),
    "token",
  );
  console.log(`signed in: wallet ${wallet.slice(0, 16)}… party ${token.party}, token until ${token.expires_at}`);
  const api = createClient<paths>({ baseUrl: node, headers: { Authorization: `Bearer ${token.token}` } });
  return { api, token: token.token };
}

async function balances(api: Client<paths>, wallet: string): Promise<Map<string, Schemas["BalanceRow"]>> {
  const rows = expect(await api.GET("/v1/wallets/{wallet}/balances", { params: { path: { wallet } } }), "balances");
  for (const row of rows) {
    console.log(`  ${row.asset.padEnd(8)} total ${row.total} free ${row.free} (${row.total_units} minor units in total)`);
  }
  return new Map(rows.map((row) => [row.asset, row]));
}

/** An amount in the asset's units ("1.00") as minor units, without floating point. */
function minorUnits(amount: string, decimals: number): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  const fraction = m?.[2] ?? "";
  if (!m || fraction.length > decimals) throw new Failed(`${amount}: not an amount with at most ${decimals} decimals`);
  return BigInt(m[1] + fraction.padEnd(decimals, "0"));
}

/** Decodes a body holding one transfer (docs/formats.md) and refuses any other: the node
 * prepares the body, but the client must sign only what it asked for. */
function readTransferBody(body: Buffer, signer: string, asset: string, to: string, units: bigint) {
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > body.length) throw new Failed("the prepared body is truncated");
    at += n;
    return body.subarray(at - n, at);
  };
  const string = (): string => take(take(4).readUInt32LE()).toString("utf8");
  const network = string();
  const bodySigner = take(32).toString("hex");
  const seq = take(8).readBigUInt64LE();
  take(8); // expires_at
  if (take(4).readUInt32LE() !== 1 || take(1)[0] !== TRANSFER_TAG) throw new Failed("the prepared body is not one transfer");
  const gotAsset = string();
  const gotTo = take(32).toString("hex");
  const amount = take(16);
  const gotUnits = amount.readBigUInt64LE(0) + (amount.readBigUInt64LE(8) << 64n);
  if (at !== body.length) throw new Failed("the prepared body has trailing bytes");
  if (bodySigner !== signer || gotAsset !== asset || gotTo !== to || gotUnits !== units) {
    throw new Failed(`the prepared body says ${gotAsset} ${gotUnits} to ${gotTo} signed by ${bodySigner}`);
  }
  return { network, seq };
}

/** Reads `count` events of `/v1/events` with fetch (server-sent events: the stream never ends,
 * so it is read line by line and dropped once enough arrived). `data` is typed by the
 * generated `BlockView`. */
async function follow(
  node: string,
  token: string,
  opts: { from?: number; lastEventId?: number; count: number },
): Promise<{ id?: string; event?: string; block: BlockView }[]> {
  const url = `${node}/v1/events${opts.from === undefined ? "" : `?from=${opts.from}`}`;
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "text/event-stream" };
  if (opts.lastEventId !== undefined) headers["Last-Event-ID"] = String(opts.lastEventId);
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (!response.ok || !response.body) throw new Failed(`events: ${response.status}`);
  const events: { id?: string; event?: string; block: BlockView }[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  let fields: Record<string, string> = {};
  let data: string[] = [];
  try {
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, "");
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(":")) continue; // a keep-alive comment
        if (line !== "") {
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (name === "data") data.push(value);
          else fields[name] = value;
          continue;
        }
        if (data.length > 0) {
          // A blank line ends an event.
          events.push({ id: fields["id"], event: fields["event"], block: JSON.parse(data.join("\n")) as BlockView });
          if (events.length === opts.count) return events;
        }
        fields = {};
        data = [];
      }
    }
  } finally {
    abort.abort();
  }
  throw new Failed(`the stream ended after ${events.length} events`);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      node: { type: "string" },
      key: { type: "string" },
      to: { type: "string" },
      asset: { type: "string", default: "USDX" },
      amount: { type: "string", default: "1.00" },
    },
  });
  const { node, key: keyFile, to, asset, amount } = args;
  if (!node || !keyFile || !to || !asset || !amount) throw new Failed("usage: --node URL --key FILE --to WALLET");

  const { key, wallet } = loadKey(keyFile);
  const { api, token } = await signIn(node, key, wallet);

  console.log("balances before:");
  const held = await balances(api, wallet);
  const row = held.get(asset);
  if (!row) throw new Failed(`the wallet holds no ${asset}`);
  const units = minorUnits(amount, row.decimals);

  const prepared = expect(
    await api.POST("/v1/transactions/prepare", {
      // The amount in both forms, as answers write it: the node refuses the two if they disagree.
      body: { signer: wallet, ops: [{ transfer: { asset, to, amount, amount_units: units.toString() } }] },
    }),
    "prepare",
  );
  const body = Buffer.from(prepared.body_hex, "hex");
  const id = createHash("sha256").update(TX_DOMAIN).update(body).digest("hex");
  if (id !== prepared.id) throw new Failed(`refusing to sign: the prepared id ${prepared.id} is not the hash of the body`);
  const { network, seq } = readTransferBody(body, wallet, asset, to, units);
  console.log(
    `prepared ${prepared.id}: ${amount} ${asset} (${units} minor units) to ${to.slice(0, 16)}…, ` +
      `seq ${seq} on ${network}; id = SHA-256(tessera/tx/v1 ‖ body) checked`,
  );

  const submit = (signature: Buffer) =>
    api.POST("/v1/transactions", { body: { body_hex: prepared.body_hex, signature: signature.toString("hex") } });

  // The classic mistake: signing the body instead of its 32-byte id. Refused at the door
  // (nothing journaled, the sequence number unspent), with a hint naming the right message.
  const wrong = await submit(sign(null, body, key));
  if (wrong.response.status !== 400 || wrong.error?.code !== "tx.bad_signature") {
    throw new Failed(`a signature over the body was not refused with tx.bad_signature: ${wrong.response.status}`);
  }
  console.log(`wrong bytes signed: ${wrong.error.status} ${wrong.error.code}: ${wrong.error.detail}`);

  const signature = sign(null, Buffer.from(prepared.id, "hex"), key);
  const committed = expect(await submit(signature), "submit");
  const outcome = committed.receipt.outcome;
  const eventNames = outcome.status === "ok" ? outcome.events.map((e) => ("event" in e ? e.event : "?")) : [];
  console.log(
    `submitted: ${committed.status} at height ${committed.height}, outcome ${outcome.status}, events ${JSON.stringify(eventNames)}`,
  );

  // A retry of the same signed transaction (say the answer was lost): refused at admission,
  // nothing journaled twice; the receipt says what happened.
  const again = await submit(signature);
  if (again.response.status !== 409 || again.error?.code !== "tx.replayed") {
    throw new Failed(`a resubmission was not refused with tx.replayed: ${again.response.status}`);
  }
  console.log(`submitted again: ${again.error.status} ${again.error.code}: ${again.error.detail}`);

  const receipt = expect(
    await api.GET("/v1/transactions/{id}", { params: { path: { id: prepared.id } } }),
    "receipt",
  );
  if (receipt.height !== committed.height || receipt.receipt.tx !== prepared.id) {
    throw new Failed("the receipt does not match the submission");
  }
  console.log(
    `receipt: block ${receipt.height} #${receipt.index}, signer seq ${receipt.seq}, at ${receipt.time}, outcome ${receipt.receipt.outcome.status}`,
  );

  console.log("balances after:");
  const after = await balances(api, wallet);
  if (BigInt(after.get(asset)?.total_units ?? -1) !== BigInt(row.total_units) - units) {
    throw new Failed("the balance did not move by the amount");
  }

  console.log(`events from height ${committed.height - 2}:`);
  const events = await follow(node, token, { from: committed.height - 2, count: 3 });
  for (const { id, event, block } of events) {
    const mine = block.receipts.map((r) => r.receipt.tx.slice(0, 16));
    console.log(
      `  id ${id} event ${event}: block ${block.height} ${block.hash.slice(0, 16)}… ${block.header.tx_count} tx, receipts seen ${JSON.stringify(mine)}`,
    );
  }
  const last = events[2];
  if (!last || last.id !== String(committed.height) || last.block.height !== committed.height) {
    throw new Failed("the third event is not the transfer's block");
  }
  if (!last.block.receipts.some((r) => r.receipt.tx === prepared.id)) {
    throw new Failed("the transfer's block does not show its receipt to its signer");
  }
  const [resumed] = await follow(node, token, { lastEventId: committed.height - 1, count: 1 });
  if (resumed?.block.height !== committed.height) {
    throw new Failed(`Last-Event-ID ${committed.height - 1} resumed at block ${resumed?.block.height}`);
  }
  console.log(`resumed with Last-Event-ID ${committed.height - 1}: block ${resumed.block.height}`);
  console.log("typescript client: ok");
}

main().catch((e: unknown) => {
  console.error(`typescript client: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
