"""Actions signed in the page (/console/act): prepared by the node, shown in words with a
pre-check, signed with the key kept since sign-in, submitted, and answered with the receipt or
the refusal's code."""

import datetime

from conftest import URL, height, shot


def prepare(page, form, **fields):
    """Fills an action's form (#form-FORM; fields by their input ids' suffix) and asks the node
    to prepare it; waits for the review or the refusal."""
    for name, value in fields.items():
        page.fill(f"#{form}-{name}", str(value))
    page.click(f"#form-{form} button[type=submit]")
    page.locator("#act-precheck [data-passes], #act-result[data-status]").first.wait_for()


def sign_and_submit(page):
    page.click("#act-sign")
    result = page.locator("#act-result[data-status]")
    result.wait_for()
    return result


def test_a_transfer_signed_in_the_page_reaches_the_journal(page, sign_in, api, wallet):
    sign_in(page, "alpha")
    page.goto("/console/act")
    # Bolt's first wallet was retired when its key was lost: its new wallet, by hex prefix.
    prepare(page, "transfer", asset="USDX", to=wallet("bolt-new")[:12], amount="2.50")
    assert page.locator("#act-precheck [data-passes=true]").count() == 1, page.inner_text("#act-result")
    words = page.inner_text("#act-words")
    assert "2.50" in words and "USDX" in words and "bolt-treasury" in words, words
    shot(page, "act-review", max_height=1000)
    result = sign_and_submit(page)
    assert result.get_attribute("data-status") == "committed", page.inner_text("#act-result")
    tx, h = result.get_attribute("data-tx"), int(result.get_attribute("data-height"))
    receipts = api(f"/v1/blocks/{h}", "alpha")["receipts"]
    assert [r["receipt"]["outcome"]["status"] for r in receipts if r["receipt"]["tx"] == tx] == ["ok"]
    shot(page, "act-done", max_height=1000)


def test_a_proposal_approval_signed_in_the_page_executes_it(page, sign_in, submit, api):
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)).strftime("%Y-%m-%d")
    proposed = submit(
        "admin-1",
        f'- propose: {{ expires_at: "{expires}", ops: [ {{ set_supply_cap: {{ asset: USDX, cap: "900,000,000" }} }} ] }}\n',
    )
    (created,) = [e for e in proposed["receipt"]["outcome"]["events"] if e["event"] == "proposal_created"]
    pid = created["proposal"]
    sign_in(page, "admin-2")
    page.goto("/console/act")
    assert page.locator(f"li[data-id='{pid}']").count() == 1, "the open proposal is offered for a vote"
    prepare(page, "approve", proposal=pid)
    assert page.locator("#act-precheck [data-passes=true]").count() == 1
    result = sign_and_submit(page)
    assert result.get_attribute("data-status") == "committed", page.inner_text("#act-result")
    (p,) = [p for p in api("/v1/proposals", "admin-2") if p["id"] == pid]
    assert p["status"]["status"] == "executed"
    page.goto("/console/governance")
    assert page.locator(f"#proposals tr[data-proposal='{pid}'] td.approvals").inner_text().startswith("2 of 2")


def test_a_transfer_the_rules_refuse_shows_its_code_and_is_never_signed(page, sign_in):
    sign_in(page, "alpha")
    page.goto("/console/act")
    before = height()
    prepare(page, "transfer", asset="TBILL", to="carol", amount="1.00")
    assert page.locator("#act-precheck [data-passes=false]").count() == 1
    assert page.locator("#act-precheck li[data-code='compliance.investor_class']").count() == 1
    result = page.locator("#act-result")
    assert result.get_attribute("data-code") == "compliance.investor_class"
    assert result.locator("code").inner_text() == "compliance.investor_class"
    assert page.locator("#act-sign").is_hidden()
    assert height() == before, "nothing was journaled"
    shot(page, "act-refused", max_height=1000)


def test_a_tampered_amount_is_refused_with_its_code_on_the_page(page, sign_in):
    sign_in(page, "alpha")
    page.goto("/console/act")
    before = height()
    prepare(page, "transfer", asset="USDX", to="carol", amount="1.0000001")
    result = page.locator("#act-result")
    assert result.get_attribute("data-status") == "refused"
    assert result.get_attribute("data-code"), page.inner_text("#act-result")
    assert page.locator("#act-sign").is_hidden()
    assert height() == before


def test_the_act_page_asks_an_anonymous_visitor_to_sign_in(page):
    res = page.goto(URL + "/console/act")
    assert res.status == 401
    assert page.locator("#act-signin").count() == 1
    assert page.locator("form.act-form").count() == 0
