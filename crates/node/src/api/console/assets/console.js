// Tessera console: the few things a server-rendered page cannot do alone.
//
// - Times in the viewer's zone (the page writes UTC; hovering shows it) and live countdowns.
// - Live pages: follows the node's event stream (/v1/events) and re-renders the page's main
//   part on each new block, without a reload.
// - Sign-in and signing with WebCrypto Ed25519. The key file is read in the page, turned into
//   a non-extractable CryptoKey and kept in this browser's IndexedDB (a CryptoKey can be
//   stored there without its bytes ever being readable again, even by this script). The key is
//   never sent anywhere; sign-out deletes it.
//
// Written for this project; no library, no build step.
"use strict";

(function () {
  const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";
  const DB = "tessera-console";
  const STORE = "keys";

  // ---------------------------------------------------------------------------------------
  // Bytes

  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function bytesToHex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function base64urlToBytes(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  // ---------------------------------------------------------------------------------------
  // Keys

  /// A key file's text → its 32-byte seed, or an error saying what a key file looks like.
  function parseKeyFile(text) {
    const t = String(text).trim();
    if (!/^[0-9a-fA-F]{64}$/.test(t)) {
      throw new Error(
        "This is not a Tessera key file: it should hold 64 hex digits (the secret seed `tessera keys new` writes)."
      );
    }
    return hexToBytes(t.toLowerCase());
  }

  /// The seed → {wallet (hex public key), key (a non-extractable signing CryptoKey)}.
  async function importSeed(seed) {
    const der = hexToBytes(PKCS8_ED25519_PREFIX + bytesToHex(seed));
    try {
      // Extractable once, only to read the public half (the wallet id) from its JWK.
      const once = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", once);
      const wallet = bytesToHex(base64urlToBytes(jwk.x));
      const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
      return { wallet, key };
    } finally {
      der.fill(0);
      seed.fill(0);
    }
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function withStore(mode, f) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = f(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req && req.result);
      tx.onerror = () => reject(tx.error);
    });
  }

  const keys = {
    put: (wallet, key) => withStore("readwrite", (s) => s.put(key, wallet)),
    get: (wallet) => withStore("readonly", (s) => s.get(wallet)),
    clear: () => withStore("readwrite", (s) => s.clear()),
  };

  /// Signs bytes with the signed-in wallet's key (kept in this browser since sign-in).
  async function sign(bytes) {
    const wallet = document.body.dataset.wallet;
    if (!wallet) throw new Error("Sign in first.");
    const key = await keys.get(wallet);
    if (!key) throw new Error("This browser no longer holds your key: sign out and sign in again with your key file.");
    return bytesToHex(await crypto.subtle.sign({ name: "Ed25519" }, key, bytes));
  }

  async function postJson(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    return { ok: res.ok, status: res.status, data };
  }

  /// A problem document in words: "code: message".
  function problemText(data, status) {
    if (data && data.code) return data.code + ": " + (data.detail || data.title || "");
    return "the node answered " + status;
  }

  // ---------------------------------------------------------------------------------------
  // Sign-in and sign-out

  function wireSignIn() {
    // Listens on the document, not on the form: a live refresh replaces the form (and any
    // listener on it) when a block arrives while the page is open.
    document.addEventListener("submit", async (e) => {
      if (e.target.id !== "signin-form") return;
      e.preventDefault();
      const out = document.getElementById("signin-result");
      out.className = "";
      const file = document.getElementById("keyfile").files[0];
      try {
        if (!file) throw new Error("Choose your key file first.");
        if (file.size > 4096) throw new Error("This is not a Tessera key file: it is far too large.");
        const { wallet, key } = await importSeed(parseKeyFile(await file.text()));
        const ch = await postJson("/v1/auth/challenge", { wallet });
        if (!ch.ok) throw new Error(problemText(ch.data, ch.status));
        const signature = bytesToHex(
          await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(ch.data.challenge))
        );
        const opened = await postJson("/console/session", { wallet, challenge: ch.data.challenge, signature });
        if (!opened.ok) throw new Error(problemText(opened.data, opened.status));
        await keys.put(wallet, key);
        out.textContent = "Signed in as " + opened.data.party + ".";
        window.location.assign("/console");
      } catch (err) {
        out.className = "bad";
        out.textContent = err.message || String(err);
      }
    });
  }

  function wireSignOut() {
    const form = document.getElementById("signout");
    if (!form) return;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await keys.clear();
      } finally {
        form.submit();
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // Times and countdowns

  const pad = (n) => String(n).padStart(2, "0");

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((t) => {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
      t.textContent =
        d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + zone;
    });
  }

  function duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + m + " min";
    if (m > 0) return m + " min " + sec + " s";
    return sec + " s";
  }

  function tickCountdowns() {
    const now = Math.floor(Date.now() / 1000);
    document.querySelectorAll("[data-deadline]").forEach((el) => {
      const left = Number(el.dataset.deadline) - now;
      el.textContent = left > 0 ? "in " + duration(left) : "passed";
      el.classList.toggle("bad", left <= 0);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Live updates

  let refreshing = false;
  let again = false;

  async function refreshMain() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const res = await fetch(window.location.href, { headers: { "x-console-live": "1" }, credentials: "same-origin" });
      if (res.ok) {
        const main = document.getElementById("main");
        // Keep what the person is doing: no refresh while a form in the main part has focus.
        if (!main.contains(document.activeElement) || document.activeElement === main) {
          main.innerHTML = await res.text();
          const fresh = document.getElementById("status-fresh");
          const status = document.getElementById("status");
          if (fresh && status) {
            status.replaceChildren(fresh.content.cloneNode(true));
            fresh.remove();
            const live = document.getElementById("live");
            if (live) live.hidden = false;
          }
          localTimes(main);
          tickCountdowns();
          document.dispatchEvent(new CustomEvent("tessera:refreshed"));
        }
      }
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        refreshMain();
      }
    }
  }

  function followBlocks() {
    if (!window.EventSource || document.body.dataset.static !== undefined) return;
    const from = Number(document.body.dataset.height || 0) + 1;
    const es = new EventSource("/v1/events?from=" + from);
    const live = document.getElementById("live");
    es.addEventListener("open", () => live && (live.hidden = false));
    es.addEventListener("error", () => live && (live.hidden = true));
    es.addEventListener("block", (e) => {
      let height = Number(e.lastEventId);
      try {
        height = JSON.parse(e.data).height;
      } catch (_) {}
      document.body.dataset.height = String(height);
      const badge = document.getElementById("height");
      if (badge) badge.textContent = "height " + height;
      refreshMain();
    });
  }

  // ---------------------------------------------------------------------------------------

  window.TesseraConsole = { sign, postJson, problemText, hexToBytes, bytesToHex, parseKeyFile, refreshMain };

  document.addEventListener("DOMContentLoaded", () => {
    localTimes(document);
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
    wireSignIn();
    wireSignOut();
    followBlocks();
  });
})();
