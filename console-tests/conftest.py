"""The web console's browser tests: a real headless Chromium driven by Playwright.

`.ci/console.sh` builds the ledgers of `scenarios/demo.yaml` and `scenarios/demo_collateral.yaml`,
starts a `tessera node` on each and runs these tests with:

- TESSERA_CONSOLE_URL: the demo's node (http://127.0.0.1:PORT), which the tests also write to;
- TESSERA_COLLATERAL_URL: the collateral demo's node (a fund, pledges, calls, loans), read only;
- TESSERA_BIN: the `tessera` binary (keys, tokens and transactions from the command line);
- TESSERA_DATA: the node's data directory (a read replica beside it, for expired sessions);
- TESSERA_CHROMIUM: the distribution's Chromium (Playwright's own download is never used);
- TESSERA_SCREENSHOTS: where the views' screenshots go (CI keeps them as artifacts).

The demo's actors sign in with their demo keys (`tessera keys derive NAME`). Figures on a page
are compared with what the `/v1` API answers the same person at the same moment.
"""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

URL = os.environ.get("TESSERA_CONSOLE_URL", "http://127.0.0.1:8080")
COLLATERAL = os.environ.get("TESSERA_COLLATERAL_URL", "http://127.0.0.1:8081")
BIN = os.environ.get("TESSERA_BIN", "tessera")
DATA = os.environ.get("TESSERA_DATA", "")
CHROMIUM = os.environ.get("TESSERA_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("TESSERA_SCREENSHOTS", "target/console-screenshots"))

# The demo's parties and the actors whose keys sign for them.
PARTY_OF = {"alpha": "alpha-fund", "bolt-new": "bolt-treasury", "carol": "carol", "delta": "delta-dao"}

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# -------------------------------------------------------------------------------------------
# The command line and the API


def cli(*args, check=True):
    """Runs `tessera ARGS` and returns its standard output."""
    done = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"tessera {' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}")
    return done.stdout


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def key(keydir):
    """The demo key file of an actor (derived once)."""

    def path(name):
        p = keydir / f"{name}.key"
        if not p.exists():
            cli("keys", "derive", name, "--out", str(p))
        return p

    return path


@pytest.fixture(scope="session")
def wallet(key):
    """An actor's wallet id (hex)."""

    def hex_of(name):
        return json.loads(cli("--json", "keys", "derive", name))["wallet"]

    return hex_of


@pytest.fixture(scope="session")
def token(key):
    """A fresh bearer token for an actor, from the node's access challenge signed by the CLI."""

    def get(name, url=URL):
        return cli("--node", url, "token", "--key", str(key(name))).strip()

    return get


def http(path, bearer=None, url=URL):
    """(status, body bytes, headers) of a GET."""
    req = urllib.request.Request(url + path)
    if bearer:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


@pytest.fixture(scope="session")
def api(token):
    """GET a `/v1` route's JSON, as an actor (or anonymously)."""

    def get(path, who=None, url=URL):
        status, body, _ = http(path, token(who, url) if who else None, url)
        assert status == 200, f"GET {url}{path} as {who}: {status} {body[:300]!r}"
        return json.loads(body)

    return get


@pytest.fixture(scope="session")
def submit(key, tmp_path_factory):
    """Signs operations (a YAML list) as an actor and submits them through the node; returns
    the CLI's JSON answer (the receipt, once durable)."""
    folder = tmp_path_factory.mktemp("ops")
    count = [0]

    def run(who, ops_yaml, check=True):
        count[0] += 1
        f = folder / f"ops-{count[0]}.yaml"
        f.write_text(ops_yaml)
        out = cli("--node", URL, "--json", "submit", "--key", str(key(who)), "--ops", str(f), check=check)
        return json.loads(out) if out.strip() else None

    return run


def height():
    status, body, _ = http("/v1/status")
    assert status == 200
    return json.loads(body)["height"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="session", autouse=True)
def ledger_ready(submit):
    """The demo's KYC claims expire on fixed dates while the node stamps blocks with today's
    time: the compliance officer renews them without expiry, so transfers here pass or fail
    for the rule each test is about, whatever the day."""
    status, _, _ = http("/ready")
    assert status == 200, f"no node ready at {URL}"
    renew = "".join(
        f"- issue_claim: {{ party: {p}, claim: kyc }}\n"
        for p in ["alpha-fund", "bolt-treasury", "carol", "delta-dao", "echo-otc"]
    )
    submit("co-1", renew)


# -------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser():
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


class Watch:
    """What a page did that it should not: dialogs (an injected script's alert), errors."""

    def __init__(self, page):
        self.dialogs = []
        self.errors = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, d):
        self.dialogs.append(d.message)
        d.dismiss()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=DESKTOP, base_url=URL)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.watch = Watch(p)
    yield p
    assert p.watch.dialogs == [], f"a dialog opened: {p.watch.dialogs}"
    assert p.watch.errors == [], f"the page's script failed: {p.watch.errors}"


@pytest.fixture
def cpage(browser):
    """A page on the collateral demo's node, in a context of its own (cookies do not tell ports
    apart, so each node's session lives in its own browser context)."""
    ctx = browser.new_context(viewport=DESKTOP, base_url=COLLATERAL)
    p = ctx.new_page()
    p.watch = Watch(p)
    yield p
    ctx.close()
    assert p.watch.dialogs == [], f"a dialog opened: {p.watch.dialogs}"
    assert p.watch.errors == [], f"the page's script failed: {p.watch.errors}"


@pytest.fixture
def sign_in(key):
    """Signs a page in as an actor through the sign-in page (the key file is chosen in the
    file input; the page signs the challenge with WebCrypto)."""

    def run(page, who, url=URL):
        page.goto(url + "/console/signin")
        page.set_input_files("#keyfile", str(key(who)))
        page.click("#signin-form button[type=submit]")
        page.wait_for_url(url + "/console")
        page.wait_for_selector("#signout")
        return page

    return run


def shot(page, name, max_height=None):
    """Saves a screenshot of the whole page as it is now, NAME.png under TESSERA_SCREENSHOTS;
    with MAX_HEIGHT, only its top (long tables of hashes make large files)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    clip = None
    if max_height:
        width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height)}
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, clip=clip)


def units(locator):
    """An amount cell's exact minor units (the page writes them beside the formatted figure)."""
    return int(locator.locator("[data-units]").first.get_attribute("data-units"))


def wait_until(what, timeout_s=20.0):
    """Polls WHAT (a function) until it returns a true value; fails after TIMEOUT_S."""
    end = time.monotonic() + timeout_s
    while True:
        v = what()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what.__doc__ or what}")
        time.sleep(0.1)
