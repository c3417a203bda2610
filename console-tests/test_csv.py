"""CSV exports: the same rows the API answers, column per JSON field."""

import csv
import io

from conftest import COLLATERAL, URL


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def flat(obj, prefix=""):
    """A JSON object flattened as the CSV writer names its columns (`kind.cash_token.cash`)."""
    out = {}
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            out.update(flat(v, name + "."))
        else:
            out[name] = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    return out


def download(page, link_selector):
    """Clicks a page's "Download CSV" link and returns (file name, text)."""
    with page.expect_download() as d:
        page.click(link_selector)
    dl = d.value
    return dl.suggested_filename, open(dl.path(), encoding="utf-8").read()


def test_the_assets_csv_downloaded_from_the_overview_holds_the_rows_the_api_answers(page, api):
    page.goto("/console")
    name, text = download(page, "a.csv[href='/console/assets.csv']")
    assert name == "assets.csv"
    got = rows_of(text)
    want = api("/v1/assets")
    assert len(got) == len(want)
    for row, a in zip(got, want):
        assert {k: v for k, v in row.items() if v != ""} == {k: v for k, v in flat(a).items() if v != ""}


def test_the_holdings_csv_holds_the_signed_in_partys_balances_as_the_api_answers_them(page, sign_in, api):
    sign_in(page, "alpha")
    page.goto("/console/holdings")
    name, text = download(page, "a.csv")
    assert name == "holdings.csv"
    want = api("/v1/parties/alpha-fund/balances", "alpha")
    assert rows_of(text) == [flat(b) for b in want]


def test_the_journal_csv_holds_the_page_s_blocks_as_the_api_lists_them(page, api):
    page.goto("/console/journal")
    top = int(page.locator("#blocks tbody tr").first.get_attribute("data-height"))
    name, text = download(page, "a.csv")
    assert name == "blocks.csv"
    got = rows_of(text)
    want = api(f"/v1/blocks?from={max(0, top - 24)}&limit=25")["blocks"]
    assert [r["hash"] for r in got] == [b["hash"] for b in want]
    assert got == [flat(b) for b in want]


def test_the_holdings_csv_is_refused_to_an_anonymous_visitor_with_the_api_s_problem(page):
    res = page.request.get(URL + "/console/holdings.csv")
    assert res.status == 401
    assert res.json()["code"] == "api.unauthenticated"


def test_the_collateral_csvs_hold_a_member_s_pledges_and_calls_as_the_api_answers_them(cpage, sign_in, api):
    sign_in(cpage, "alpha", url=COLLATERAL)
    for path, route in [("pledges.csv", "/v1/pledges"), ("calls.csv", "/v1/calls")]:
        res = cpage.request.get(COLLATERAL + "/console/collateral/" + path)
        assert res.status == 200, path
        assert rows_of(res.text()) == [flat(r) for r in api(route, "alpha", url=COLLATERAL)], path


def test_the_governance_and_alert_csvs_hold_the_proposals_and_alerts_the_api_lists(page, sign_in, api):
    sign_in(page, "co-1")
    for path, route in [("/console/governance/proposals.csv", "/v1/proposals"), ("/console/compliance/alerts.csv", "/v1/alerts")]:
        res = page.request.get(URL + path)
        assert res.status == 200, path
        assert {int(r["id"]) for r in rows_of(res.text())} == {x["id"] for x in api(route, "co-1")}, path
