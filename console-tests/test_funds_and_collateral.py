"""The collateral demo's ledger: a fund whose shares are pledged at a clearing house, margin
calls, a default and a loan. Its views against the API, read only."""

from conftest import COLLATERAL, shot, units


def test_the_overview_shows_each_fund_class_s_nav_yield_and_shares_as_the_api_values_them(cpage, api):
    cpage.goto("/console")
    funds = api("/v1/funds", url=COLLATERAL)
    classes = [(f["spec"]["fund"], c) for f in funds for c in f["last"]["classes"]]
    assert classes, "the collateral demo values its fund"
    for fund, c in classes:
        row = cpage.locator(f"#funds tr[data-class='{c['asset']}']")
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == fund
        nav = c["nav_per_share"]
        assert cells.nth(1).inner_text() == f"{nav // 10**8}.{nav % 10**8:08d}"[:-3]
        rate = c["rate_ppb"]
        assert cells.nth(2).inner_text() == f"{rate // 10**7}.{rate % 10**7:07d}"[:-4] + "%"
        assert units(cells.nth(3)) == c["shares"]
    shot(cpage, "overview-fund")
