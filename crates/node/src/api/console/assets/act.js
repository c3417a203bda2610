// Tessera console, the Act page: prepare, review, sign in the page, submit.
//
// 1. A form's fields become one operation ({op: fields}); the node prepares it for the
//    signed-in wallet (POST /console/act/prepare) and answers the body's bytes, its id, the
//    action in words and the pre-check.
// 2. The page shows the words and the pre-check; only a passing pre-check offers "Sign and
//    submit".
// 3. Before signing, the page recomputes the id, SHA-256("tessera/tx/v1" ‖ body bytes), and
//    refuses to sign if it differs from the id the node sent: the page signs only the body it
//    was given. Then it signs with the key kept since sign-in (TesseraConsole.sign), submits
//    to /v1/transactions and shows the receipt or the refusal in #act-result.
//
// Written for this project; no library, no build step.
"use strict";

(function () {
  const TX_DOMAIN = "tessera/tx/v1";
  // A page that changes only when its visitor acts: no live re-render under a half-done action.
  document.body.dataset.static = "";

  let prepared = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  /// Shows the outcome of the last step in #act-result: a refusal (with data-code) or a receipt.
  function result(kind, title, lines, attrs) {
    const box = $("act-result");
    box.replaceChildren();
    for (const a of ["data-code", "data-status", "data-tx", "data-height"]) box.removeAttribute(a);
    box.className = kind;
    for (const [k, v] of Object.entries(attrs || {})) box.setAttribute(k, v);
    box.append(el("h2", title));
    for (const l of lines) box.append(l instanceof Node ? l : el("p", l));
    box.focus();
  }

  function refused(title, code, message, extra) {
    const lines = [];
    if (code) {
      const p = el("p");
      p.append(el("code", code));
      lines.push(p);
    }
    lines.push(message);
    result("refusal", title, lines.concat(extra || []), code ? { "data-code": code, "data-status": "refused" } : { "data-status": "refused" });
  }

  function problem(title, res) {
    const d = res.data || {};
    refused(title, d.code || "", d.detail || d.title || "the node answered " + res.status);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  /// The transaction id of a body: SHA-256 of the domain then the body's bytes.
  async function txId(bodyHex) {
    const domain = new TextEncoder().encode(TX_DOMAIN);
    const body = TesseraConsole.hexToBytes(bodyHex);
    const all = new Uint8Array(domain.length + body.length);
    all.set(domain, 0);
    all.set(body, domain.length);
    return TesseraConsole.bytesToHex(await sha256(all));
  }

  /// A form's fields as an operation; `from` is said beside it.
  function operation(form) {
    const fields = {};
    let from;
    for (const input of form.querySelectorAll("input[name]")) {
      const v = input.value.trim();
      if (input.name === "from") from = v;
      else if (input.hasAttribute("data-number") && /^[0-9]+$/.test(v)) fields[input.name] = Number(v);
      else fields[input.name] = v;
    }
    return { from, ops: [{ [form.dataset.op]: fields }] };
  }

  function review(p) {
    $("act-review").hidden = false;
    $("act-words").textContent = p.words;
    const box = $("act-precheck");
    box.replaceChildren();
    const sign = $("act-sign");
    if (p.precheck.passes) {
      box.append(el("p", "Pre-check: passes. Nothing is sent until you sign.", { class: "good", "data-passes": "true" }));
      sign.hidden = false;
      $("act-result").replaceChildren();
      $("act-result").className = "";
      for (const a of ["data-code", "data-status", "data-tx", "data-height"]) $("act-result").removeAttribute(a);
      return;
    }
    sign.hidden = true;
    const list = el("ul");
    for (const f of p.precheck.failures) {
      const li = el("li", null, { "data-code": f.code });
      li.append(el("code", f.code), " " + f.message);
      list.append(li);
    }
    box.append(el("p", "Pre-check: this would be refused.", { class: "bad", "data-passes": "false" }), list);
    const first = p.precheck.failures[0];
    refused("Not sent", first.code, p.precheck.failures.length + " rule(s) would refuse it: " + first.message);
  }

  async function prepare(form) {
    prepared = null;
    // The review and the outcome follow the form they answer.
    form.after($("act-review"), $("act-result"));
    $("act-sign").hidden = true;
    const res = await TesseraConsole.postJson("/console/act/prepare", operation(form));
    if (!res.ok) {
      $("act-review").hidden = true;
      if (res.status === 401) {
        refused("Sign in", res.data && res.data.code, "Sign in to act: your key signs in this browser.", [
          (() => { const p = el("p"); p.append(el("a", "Sign in", { href: "/console/signin" })); return p; })(),
        ]);
      } else problem("Refused", res);
      return;
    }
    prepared = res.data;
    review(prepared);
  }

  async function receiptLines(tx) {
    const res = await fetch("/console/act/tx/" + tx, { credentials: "same-origin" });
    if (!res.ok) return [];
    const r = await res.json();
    const list = el("ul", null, { id: "act-events" });
    for (const e of r.events) list.append(el("li", e));
    return r.events.length ? [el("p", r.outcome), list] : [el("p", r.outcome)];
  }

  async function signAndSubmit() {
    const p = prepared;
    if (!p) return;
    $("act-sign").hidden = true;
    prepared = null;
    const id = await txId(p.body_hex);
    if (id !== p.id) {
      result("refusal", "Not signed", [
        "The body the node sent does not hash to the id it gave (" + id + " ≠ " + p.id + "): nothing was signed.",
      ], { "data-status": "id-mismatch" });
      return;
    }
    let signature;
    try {
      signature = await TesseraConsole.sign(TesseraConsole.hexToBytes(p.id));
    } catch (err) {
      result("refusal", "Not signed", [err.message || String(err)], { "data-status": "no-key" });
      return;
    }
    const res = await TesseraConsole.postJson("/v1/transactions", { body_hex: p.body_hex, signature });
    if (!res.ok) {
      const d = res.data || {};
      const where = d.height ? ["Journaled in block " + d.height + " as failed (transaction " + d.tx + ")."] : ["Nothing was journaled."];
      refused("Refused", d.code || "", d.detail || "the node answered " + res.status, where);
      return;
    }
    const r = res.data;
    const lines = [el("p", "Transaction " + r.tx + " committed in block " + r.height + ".")];
    result("receipt", "Done", lines.concat(await receiptLines(r.tx)), {
      "data-status": "committed",
      "data-tx": r.tx,
      "data-height": String(r.height),
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("act-result").tabIndex = -1;
    for (const form of document.querySelectorAll("form.act-form")) {
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        prepare(form).catch((err) => refused("Not prepared", "", err.message || String(err)));
      });
    }
    $("act-sign").addEventListener("click", () =>
      signAndSubmit().catch((err) => refused("Not sent", "", err.message || String(err)))
    );
  });
})();
