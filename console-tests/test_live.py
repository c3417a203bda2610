"""Live pages: a block committed elsewhere changes the open page, without a reload."""

from conftest import units


def test_a_transfer_submitted_from_the_command_line_updates_the_open_holdings_page_without_reload(
    page, sign_in, submit, api
):
    sign_in(page, "alpha")
    page.goto("/console/holdings")
    page.locator("#live").wait_for(state="visible")
    before = units(page.locator("#holdings tr[data-asset=USDX] td").nth(1))
    # A mark on this document: a reload would lose it.
    page.evaluate("window.notReloaded = true")

    done = submit("alpha", '- transfer: { asset: USDX, to: "@bolt-new", amount: 1.25 }\n')
    assert done["receipt"]["outcome"]["status"] == "ok"
    (usdx,) = [b for b in api("/v1/parties/alpha-fund/balances", "alpha") if b["asset"] == "USDX"]
    assert usdx["free_units"] == before - 1_250_000
    assert usdx["free"] == f"{usdx['free_units'] // 10**6}.{usdx['free_units'] % 10**6:06d}"

    free = page.locator(f"#holdings tr[data-asset=USDX] td:nth-of-type(2) [data-units='{usdx['free_units']}']")
    free.wait_for(timeout=20_000)
    assert page.evaluate("window.notReloaded") is True
    page.locator("#height").filter(has_text=f"height {done['height']}").wait_for()


def test_the_journal_page_lists_a_new_block_as_soon_as_it_is_committed(page, submit):
    page.goto("/console/journal")
    page.locator("#live").wait_for(state="visible")
    page.evaluate("window.notReloaded = true")
    done = submit("alpha", '- transfer: { asset: USDX, to: "@bolt-new", amount: 0.01 }\n')
    page.locator(f"#blocks tr[data-height='{done['height']}']").wait_for(timeout=20_000)
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#blocks tbody tr").first.get_attribute("data-height") == str(done["height"])
