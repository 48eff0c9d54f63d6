"""The query page in headless Chromium (Debian's `chromium`): pick a named query, run it, see its rows.

The page must work with no internet: the test records every request the browser makes and
checks that each went to the citykg server. A screenshot is kept in tests/artifacts/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from serving import ROOT, Running, start_server

from citykg.build import BuildResult
from citykg.project import Project

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"]


@contextmanager
def served_page(dist: Path, folder: Path, *, root: Path) -> Iterator[Any]:
    """A headless Chromium page open at a `citykg serve` of ``dist`` with the project ``root``."""
    from playwright.sync_api import sync_playwright

    server = start_server(dist, folder, root=root)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                page = browser.new_page()
                page.goto(server.url, wait_until="networkidle")
                yield page
            finally:
                browser.close()
    finally:
        server.stop()


def test_the_query_page_runs_a_named_query_and_links_to_entities(server: Running, tmp_path: Path) -> None:
    assert CHROMIUM.is_file(), (
        f"The browser test needs Debian's chromium at {CHROMIUM}: run `scripts/setup --dev` as root "
        "(it installs it), or `apt-get install chromium`.")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    seen: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1280, "height": 900})
        try:
            page = browser.new_page()
            page.on("request", lambda request: seen.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(server.url, wait_until="networkidle")

            page.click('button[data-query="strategies-for-factor"]')
            assert page.input_value('#params input[name="factor"]') == "W3"
            assert page.input_value('#params input[name="city"]') == "Mashhad"
            assert "$factor" in page.input_value("#editor")
            page.click("#run")
            page.wait_for_selector("#result-table tbody tr")
            codes = page.locator("#result-table tbody tr td:first-child").all_inner_texts()
            assert codes == ["WO1", "WO4", "WT1", "WT2"]
            assert page.inner_text("#status").startswith("4 rows")
            assert page.locator('#downloads a[href*="format=csv"]').count() == 1
            page.screenshot(path=str(ARTIFACTS / "query-page.png"), full_page=True)

            assert page.is_hidden("#edited")
            page.fill("#editor", page.input_value("#editor") + "\n# edited")
            assert page.is_visible("#edited") and page.is_disabled('#params input[name="factor"]')
            page.click('button[data-query="strategies-for-factor"]')  # picked again: the named query
            assert page.is_hidden("#edited") and page.is_enabled('#params input[name="factor"]')

            page.fill("#editor", "CONSTRUCT WHERE { ?s ckg:code ?code } LIMIT 2")
            page.click("#run")
            page.wait_for_selector("pre.graph")
            assert page.locator('#downloads a[href*="format=turtle"]').count() == 1
            assert page.locator('#downloads a[href*="format=csv"]').count() == 0  # no CSV of a graph

            page.fill("#editor", 'SELECT ?factor ?label WHERE { ?factor ckg:code "W3" ; rdfs:label ?label '
                                 'FILTER (LANG(?label) = "en") }')
            page.keyboard.press("Control+Enter")
            page.wait_for_selector('#result-table a[href="/id/study/mashhad-oic/factor/W3"]')
            page.click('#result-table a[href="/id/study/mashhad-oic/factor/W3"]')
            page.wait_for_selector("h1")
            assert "City-diplomacy activities not properly used" in page.inner_text("h1")
            assert page.locator('a[href="/id/study/mashhad-oic/strategy/WO1"]').count() >= 1
            page.screenshot(path=str(ARTIFACTS / "entity-page.png"), full_page=True)

            page.goto(server.url, wait_until="networkidle")
            page.fill("#editor", "SELECT ?x WHERE { ?x ?y }")
            page.click("#run")
            page.wait_for_selector("#status.error")
            assert "does not parse" in page.inner_text("#status")
        finally:
            browser.close()
    origin = urlsplit(server.url).netloc
    assert seen and all(urlsplit(url).netloc == origin for url in seen), seen
    assert [p for p in problems if "status of 400" not in p] == []  # the 400 is the malformed query's
    assert (ARTIFACTS / "query-page.png").stat().st_size > 10_000


def test_the_query_page_shows_why_the_catalogue_does_not_load(built: tuple[Project, BuildResult],
                                                              tmp_path: Path) -> None:
    from conftest import copy_project

    project = copy_project(tmp_path / "project", folders=())
    (project.queries / "zz-broken.rq").write_text("#+ summary: Broken\n#+ columns\nSELECT * WHERE { ?s ?p ?o }\n",
                                                  encoding="utf-8")
    with served_page(built[0].dist, tmp_path / "server", root=project.root) as page:
        shown = page.inner_text("#query-list li.error")
    assert shown == ("The catalogue cannot be loaded: The named queries cannot be loaded: queries/zz-broken.rq:2: "
                     "malformed header line '#+ columns'. Fix the file; the server reloads the queries once it is saved.")


def test_the_query_page_says_why_a_named_query_has_no_rows(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    with served_page(built[0].dist, tmp_path / "server", root=ROOT) as page:
        page.click('button[data-query="unaddressed-factors"]')
        page.fill('#params input[name="city"]', "تبریز")
        page.click("#run")
        page.wait_for_selector("#status:has-text('0 rows in')")
        status = page.inner_text("#status")
    assert status.endswith(" — no study of 'تبریز' has SWOT factors, which this query reads"), status


def test_the_query_page_says_when_rows_mix_studies(two_studies_project: Project, tmp_path: Path) -> None:
    with served_page(two_studies_project.dist, tmp_path / "server", root=two_studies_project.root) as page:
        page.click('button[data-query="tows-matrix"]')
        assert page.input_value('#params input[name="city"]') == "Mashhad"
        page.click("#run")
        page.wait_for_selector("#result-table tbody tr")
        mixed = page.inner_text("#status")
        page.fill('#params input[name="study"]', "follow-up")
        page.click("#run")
        page.wait_for_selector("#status:has-text('1 row in')")  # (the page's CSP forbids eval)
        one = page.inner_text("#status")
    assert mixed.startswith("13 rows") and mixed.endswith(
        "rows of the studies follow-up, mashhad-oic, which no column tells apart: give a study for one")
    assert one.startswith("1 row in") and "studies" not in one


def test_running_again_abandons_the_query_running_and_the_server_stops_it(server: Running, tmp_path: Path) -> None:
    import json

    import httpx
    from playwright.sync_api import sync_playwright

    def stopped() -> list[dict[str, Any]]:
        records = [json.loads(line) for line in server.log_records()]
        return [r for r in records if r["status"] == 499 and r["error"].endswith("its query was stopped.")]

    def busy() -> bool:
        return bool(httpx.get(server.url + "health").json()["workers"]["idle"] < 2)

    before = len(stopped())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(server.url, wait_until="networkidle")
            page.fill("#editor", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } # abandoned")
            page.click("#run")
            for _ in range(100):  # until a worker runs it
                if busy():
                    break
                page.wait_for_timeout(100)
            assert busy()
            page.fill("#editor", 'SELECT ?code WHERE { ?f ckg:code ?code ; a ckg:Weakness } ORDER BY ?code LIMIT 2')
            page.click("#run")
            page.wait_for_selector("#result-table tbody tr")
            codes = page.locator("#result-table tbody tr td:first-child").all_inner_texts()
            status = page.inner_text("#status")
        finally:
            browser.close()
    assert codes == ["W1", "W2"] and status.startswith("2 rows"), (codes, status)
    for _ in range(100):  # the access log is written every 0.1 s
        if len(stopped()) > before:
            break
        time.sleep(0.1)
    assert len(stopped()) == before + 1  # the first query: its request aborted, its worker freed


def test_the_query_page_marks_languages_and_shows_triple_terms(built: tuple[Project, BuildResult],
                                                                tmp_path: Path) -> None:
    query = ('SELECT ?name ?rtl ?statement WHERE { BIND("مشهد"@fa AS ?name) BIND("مشهد"@ar--rtl AS ?rtl) '
             'BIND(<<( <https://w3id.org/citykg/id/city/mashhad> rdfs:label "Mashhad"@en )>> AS ?statement) }')
    with served_page(built[0].dist, tmp_path / "server", root=ROOT) as page:
        page.click('button[data-query="strategies-for-factor"]')
        dirs = page.eval_on_selector_all("#params input", "inputs => inputs.map(i => i.getAttribute('dir'))")
        page.fill("#editor", query)
        page.click("#run")
        page.wait_for_selector("#result-table tbody tr")
        spans = page.eval_on_selector_all(
            "#result-table tbody td span[dir]", "spans => spans.map(s => [s.textContent, s.lang, s.dir])")
        statement = page.inner_text("#result-table tbody td:nth-child(3)")
        link = page.get_attribute("#result-table tbody td:nth-child(3) a", "href")
    assert len(dirs) == 3 and set(dirs) == {"auto"}  # factor, city, study: typed in any script
    assert spans == [["مشهد", "fa", "auto"], ["مشهد", "ar", "rtl"], ['"Mashhad"', "en", "auto"]]
    assert statement == '<<( city/mashhad rdfs:label "Mashhad"@en )>>' and link == "/id/city/mashhad"
