"""Sign-in: the page signs the node's access challenge with the key file in the browser."""

import json

from conftest import URL, shot


def test_an_investor_signs_in_with_a_demo_key_file_and_the_header_names_their_party(page, sign_in, wallet):
    page.goto("/console/signin")
    shot(page, "signin")
    sign_in(page, "alpha")
    who = page.locator(".who .party")
    assert who.inner_text().startswith("alpha-fund · ")
    assert who.get_attribute("title") == wallet("alpha")
    assert page.locator("body").get_attribute("data-wallet") == wallet("alpha")


def test_the_key_file_never_leaves_the_page_only_its_wallet_and_signature_are_sent(page, sign_in, key):
    seed = key("alpha").read_text().strip().lower()
    sent = []
    page.on("request", lambda r: sent.append((r.url, r.post_data or "")))
    sign_in(page, "alpha")
    posted = [(u, body) for u, body in sent if body]
    assert [u.removeprefix(URL) for u, _ in posted] == ["/v1/auth/challenge", "/console/session"]
    for url, body in posted:
        assert seed not in body.lower(), f"the key was sent to {url}"
    opened = json.loads(posted[1][1])
    assert sorted(opened) == ["challenge", "signature", "wallet"]


def test_the_session_cookie_is_http_only_strict_and_scoped_to_the_console(page, sign_in, context):
    sign_in(page, "alpha")
    (cookie,) = [c for c in context.cookies() if c["name"] == "tessera_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert page.evaluate("document.cookie") == "", "page scripts can read the session"


def test_a_key_file_of_the_wrong_format_gets_a_clear_message_and_no_session(page, tmp_path, context):
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n")
    page.goto("/console/signin")
    page.set_input_files("#keyfile", str(bad))
    posted = []
    page.on("request", lambda r: r.method == "POST" and posted.append(r.url))
    page.click("#signin-form button[type=submit]")
    result = page.locator("#signin-result")
    result.filter(has_text="not a Tessera key file").wait_for()
    assert "64 hex digits" in result.inner_text()
    assert "bad" in (result.get_attribute("class") or "")
    assert page.url == URL + "/console/signin"
    assert posted == [], "a request was made with a file that is not a key"
    assert [c for c in context.cookies() if c["name"] == "tessera_console"] == []
    shot(page, "signin-bad-key")


def test_a_key_whose_wallet_is_not_on_the_ledger_is_refused_on_the_sign_in_page(page, key, context):
    page.goto("/console/signin")
    page.set_input_files("#keyfile", str(key("nobody-at-all")))
    page.click("#signin-form button[type=submit]")
    page.locator("#signin-result").filter(has_text="api.unauthenticated").wait_for()
    assert "not on the ledger" in page.inner_text("#signin-result")
    assert [c for c in context.cookies() if c["name"] == "tessera_console"] == []


def test_signing_out_ends_the_session_and_forgets_the_key_kept_in_the_browser(page, sign_in, context):
    sign_in(page, "alpha")
    kept = "() => new Promise(r => { const q = indexedDB.open('tessera-console', 1); q.onsuccess = () => { const c = q.result.transaction('keys').objectStore('keys').count(); c.onsuccess = () => r(c.result); }; })"
    assert page.evaluate(kept) == 1
    page.click("#signout button")
    page.wait_for_selector("a.signin")
    assert page.locator("#signout").count() == 0
    assert [c for c in context.cookies() if c["name"] == "tessera_console"] == []
    assert page.evaluate(kept) == 0


def test_signing_in_still_works_after_a_new_block_refreshed_the_sign_in_page(page, submit, key, wallet):
    page.goto("/console/signin")
    page.locator("#live").wait_for(state="visible")
    done = submit("alpha", '- transfer: { asset: USDX, to: "@bolt-new", amount: 0.01 }\n')
    page.locator("#height").filter(has_text=f"height {done['height']}").wait_for()
    page.set_input_files("#keyfile", str(key("carol")))
    page.click("#signin-form button[type=submit]")
    page.wait_for_url(URL + "/console")
    assert page.locator("body").get_attribute("data-wallet") == wallet("carol")
