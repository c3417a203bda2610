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
        assert units(cells.nth(3)) == c["shares_units"]
    shot(cpage, "overview-fund")


def test_the_fund_view_shows_the_fund_s_net_assets_nav_chart_and_payouts_as_the_api_reports(cpage, api):
    cpage.goto("/console/fund")
    assert cpage.url.endswith("/console/fund/ATLAS"), "the only fund's page opens directly"
    last = api("/v1/funds/ATLAS", url=COLLATERAL)["fund"]["last"]
    assert units(cpage.locator("#fund-nav")) == last["nav_units"]
    for c in last["classes"]:
        nav = c["nav_per_share"]
        shown = cpage.locator(f"#fund-facts dd[data-class='{c['asset']}']").inner_text()
        assert shown.startswith(f"{nav // 10**8}.{nav % 10**8:08d}"[:-3])
    assert cpage.locator("#fund-chart svg").count() == 1
    report = api("/v1/funds/ATLAS/report", "operator", url=COLLATERAL)
    assert cpage.locator("#payouts tbody tr").count() == len(report["payouts"]) >= 1
    shot(cpage, "fund", max_height=1400)


def test_the_collateral_view_shows_a_member_its_own_pledges_and_calls_and_no_one_else_s(cpage, sign_in, api):
    sign_in(cpage, "alpha", url=COLLATERAL)
    cpage.goto("/console/collateral")
    pledges = api("/v1/pledges", "alpha", url=COLLATERAL)
    rows = cpage.locator("#pledges tbody tr").all()
    assert len(rows) == len(pledges) >= 1
    assert {r.get_attribute("data-pledgor") for r in rows} == {"alpha"}
    assert [(int(r.get_attribute("data-account")), r.get_attribute("data-asset")) for r in rows] == [
        (p["account"], p["asset"]) for p in pledges
    ]
    calls = api("/v1/calls", "alpha", url=COLLATERAL)
    got = [(int(r.get_attribute("data-call")), r.get_attribute("data-status")) for r in cpage.locator("#calls tbody tr").all()]
    assert got == [(c["id"], c["status"]) for c in calls]
    assert all(c["member"] == "alpha" for c in calls)
    assert "bravo" not in cpage.inner_text("#pledges")


def test_the_collateral_view_shows_the_clearing_house_every_member_s_margin(cpage, sign_in, api):
    sign_in(cpage, "cme", url=COLLATERAL)
    cpage.goto("/console/collateral")
    report = api("/v1/clearing/cme/margin", "cme", url=COLLATERAL)
    for m in report["members"]:
        row = cpage.locator(f"#margin-cme tr[data-account='{m['account']}']")
        assert units(row.locator("td.requirement")) == m["requirement_units"]
        assert units(row.locator("td.coverage")) == m["counted_units"]
    assert cpage.locator("#margin-cme tbody tr").count() == len(report["members"]) >= 3
    shot(cpage, "collateral", max_height=1000)
