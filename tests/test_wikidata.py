"""The SPARQL client: a good citizen of the live service, tested against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from linking import EMPTY, FIXTURE, Oxigraph, Scripted, ok, start_oxigraph
from pyoxigraph import Literal

from citykg.errors import EndpointError
from citykg.items import fetch_facts
from citykg.wikidata import Client, Value, iri, qid_of, values


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    server = start_oxigraph([FIXTURE], tmp_path_factory.mktemp("wikidata-fixture"))
    yield server
    server.stop()


def test_select_against_a_real_server(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    rows = client.select("SELECT ?label WHERE { <http://www.wikidata.org/entity/Q80053> "
                         "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label")
    labels = {(r["label"].text, r["label"].lang) for r in rows}
    assert ("Tabriz", "en") in labels and ("تبریز", "fa") in labels and ("تبريز", "ar") in labels
    assert client.stats.requests == 1 and client.stats.cached == 0


def test_select_many_answers_in_order(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None, parallel=3)
    queries = [f"SELECT ?label WHERE {{ {iri(q)} <http://www.w3.org/2000/01/rdf-schema#label> ?label "
               'FILTER (LANG(?label) = "en") }' for q in ("Q80053", "Q121157", "Q42053", "Q794")]
    answers = [[r["label"].text for r in rows] for rows in client.select_many(queries)]
    assert answers == [[r["label"].text for r in Client(fixture_server.url, cache=None).select(q)] for q in queries]
    assert answers[0] == ["Tabriz"] and answers[3] == ["Iran"] and client.stats.requests == 4


def test_one_query_at_a_time_to_the_public_service_a_few_elsewhere() -> None:
    assert Client(cache=None).parallel == 1  # the Wikidata Query Service asks for one at a time
    assert Client("http://127.0.0.1:7878/query", cache=None).parallel == 2
    assert Client("http://127.0.0.1:7878/query", cache=None, parallel=1).parallel == 1
    with Scripted([ok()] * 4, delay=0.5) as server:
        rows = list(Client(server.url, cache=None, parallel=2).select_many(["SELECT ?x WHERE {}"] * 4))
    starts = sorted(server.times)
    assert len(rows) == 4 and starts[1] - starts[0] < 0.4 and starts[2] - starts[0] >= 0.5  # two, then two
    with Scripted([ok()] * 2, delay=0.5) as server:
        list(Client(server.url, cache=None, parallel=1).select_many(["SELECT ?x WHERE {}"] * 2))
    assert server.times[1] - server.times[0] >= 0.5  # one after the other


def test_the_user_agent_names_citykg_and_a_contact() -> None:
    with Scripted([ok()]) as server:
        client = Client(server.url, cache=None, contact="mailto:links@example.org")
        client.select("SELECT ?x WHERE {}")
    agent = server.requests[0]["User-Agent"]
    assert agent.startswith("citykg/") and "mailto:links@example.org" in agent and "SPARQLWrapper/" in agent


def test_values_are_escaped_terms(fixture_server: Oxigraph) -> None:
    hostile = Literal('Tabriz" } ?s ?p ?o . { "', language="en")
    clause = values("label", [hostile, iri("Q80053")])
    assert clause.startswith("VALUES ?label {") and '\\"' in clause
    rows = Client(fixture_server.url, cache=None).select(
        f"SELECT ?item WHERE {{ {clause} ?item <http://www.w3.org/2000/01/rdf-schema#label> ?label }}")
    assert rows == []
    with pytest.raises(ValueError):
        values("x }", [])
    assert qid_of("http://www.wikidata.org/entity/Q80053") == "Q80053"
    assert qid_of("http://www.wikidata.org/entity/P17") is None


def test_a_second_run_needs_no_network(tmp_path: Path) -> None:
    query = "SELECT ?x WHERE {}"
    with Scripted([ok()]) as server:
        url = server.url
        first = Client(url, cache=tmp_path).select(query)
    again = Client(url, cache=tmp_path, retries=0)
    assert again.select(query) == first
    assert again.stats.cached == 1 and again.stats.requests == 0
    with pytest.raises(EndpointError, match="Cannot reach"):
        again.select("SELECT ?y WHERE {}")  # not cached, and the server is gone
    entry = json.loads(next(tmp_path.rglob("*.json")).read_text(encoding="utf-8"))
    assert entry["endpoint"] == url and entry["query"] == query


def test_refresh_asks_again(tmp_path: Path) -> None:
    with Scripted([ok(), ok()]) as server:
        Client(server.url, cache=tmp_path).select("SELECT ?x WHERE {}")
        Client(server.url, cache=tmp_path, refresh=True).select("SELECT ?x WHERE {}")
    assert len(server.requests) == 2


def test_the_retrieval_date_is_the_day_of_the_oldest_answer(tmp_path: Path) -> None:
    with Scripted([ok()]) as server:
        client = Client(server.url, cache=tmp_path)
        client.select("SELECT ?x WHERE {}")
        assert client.retrieved_on() == datetime.now(UTC).date()
        path = next(tmp_path.rglob("*.json"))
        entry = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**entry, "fetched": "2020-01-02"}), encoding="utf-8")
        later = Client(server.url, cache=tmp_path)
        later.select("SELECT ?x WHERE {}")
    assert later.retrieved_on() == date(2020, 1, 2)


def test_429_and_retry_after_are_honoured() -> None:
    with Scripted([(429, {"Retry-After": "1"}, b"slow down"), ok()]) as server:
        client = Client(server.url, cache=None)
        started = time.monotonic()
        rows = client.select("SELECT ?x WHERE {}")
        elapsed = time.monotonic() - started
    assert rows[0]["x"].text == "ok"
    assert len(server.requests) == 2 and server.times[1] - server.times[0] >= 1.0
    assert elapsed >= 1.0 and client.stats.retries == 1 and client.stats.waited == 1.0


def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    waits: list[float] = []
    with Scripted([(429, {"Retry-After": when}, b""), ok()]) as server:
        Client(server.url, cache=None, sleep=waits.append).select("SELECT ?x WHERE {}")
    assert len(waits) == 1 and 0.5 <= waits[0] <= 2.0


def test_a_retry_after_beyond_the_limit_stops_the_run() -> None:
    with Scripted([(429, {"Retry-After": "3600"}, b"")]) as server:
        with pytest.raises(EndpointError, match="asks citykg to wait 3600 s"):
            Client(server.url, cache=None, max_wait=60).select("SELECT ?x WHERE {}")
        assert len(server.requests) == 1


def test_backoff_gives_up_after_its_retries(tmp_path: Path) -> None:
    waits: list[float] = []
    with Scripted([(429, {}, b"")] * 4) as server, \
            pytest.raises(EndpointError, match=r"still answers HTTP 429 after 3 retries\. Try again later\.$"):
        Client(server.url, cache=None, retries=3, sleep=waits.append).select("SELECT ?x WHERE {}")
    assert waits == [1.0, 2.0, 4.0]  # no Retry-After: exponential backoff
    assert len(server.requests) == 4
    with Scripted([(429, {}, b"")] * 2) as server, \
            pytest.raises(EndpointError, match="answers received so far are cached"):  # only with a cache
        Client(server.url, cache=tmp_path, retries=1, sleep=waits.append).select("SELECT ?x WHERE {}")


def test_server_errors_are_retried() -> None:
    with Scripted([(500, {}, b"busy"), (503, {}, b"busy"), ok()]) as server:
        rows = Client(server.url, cache=None, sleep=lambda s: None).select("SELECT ?x WHERE {}")
    assert rows and len(server.requests) == 3


def test_every_wait_is_told_so_that_a_slow_run_does_not_look_stuck() -> None:
    told: list[str] = []
    with Scripted([(429, {"Retry-After": "7"}, b""), (503, {}, b"busy"), ok()]) as server:
        Client(server.url, cache=None, sleep=lambda s: None, progress=told.append).select("SELECT ?x WHERE {}")
    assert told == [f"{server.url}: HTTP 429 Too Many Requests; retry 1 of 4 in 7 s",
                    f"{server.url}: HTTP 503 Service Unavailable; retry 2 of 4 in 2 s"]


def test_a_server_timeout_is_not_retried() -> None:
    with Scripted([(500, {}, b"java.util.concurrent.TimeoutException")]) as server, \
            pytest.raises(EndpointError, match="time limit"):
        Client(server.url, cache=None).select("SELECT ?x WHERE {}")
    assert len(server.requests) == 1


@pytest.mark.parametrize(("answer", "message"), [
    ((200, {"Content-Type": "text/html"}, b"<html>Your client is blocked</html>"), "instead of SPARQL JSON"),
    ((200, {"Content-Type": "application/sparql-results+json"}, b""), "empty body"),
    ((200, {"Content-Type": "application/json"}, b'{"error": "blocked"}'), "not a SPARQL SELECT result"),
    ((403, {}, b"Forbidden"), "User-Agent"),
])
def test_a_blocked_client_is_an_error_not_an_empty_answer(answer: tuple[int, dict[str, str], bytes],
                                                         message: str, tmp_path: Path) -> None:
    with Scripted([answer]) as server:
        client = Client(server.url, cache=tmp_path)
        with pytest.raises(EndpointError, match=message):
            client.select("SELECT ?x WHERE {}")
    assert list(tmp_path.rglob("*.json")) == []  # nothing cached


def test_a_slow_server_times_out() -> None:
    with Scripted([ok()], delay=3) as server:
        started = time.monotonic()
        with pytest.raises(EndpointError, match=r"did not answer within 1 s \(tried once\). Give it longer with "
                                                r"--timeout") as raised:
            Client(server.url, cache=None, timeout=1, retries=0).select("SELECT ?x WHERE {}")
    assert time.monotonic() - started < 2.9
    assert "Cannot reach" not in str(raised.value)  # it was reached: it was slow


def test_facts_of_items(fixture_server: Oxigraph) -> None:
    facts = fetch_facts(Client(fixture_server.url, cache=None), ["Q80053", "Q794", "Q1"], languages=("en", "fa"))
    tabriz = facts["Q80053"]
    assert tabriz.label() == "Tabriz" and tabriz.label("fa") == "تبریز"
    assert tabriz.country() == ("Q794", "IR")
    assert tabriz.population == 1424641 and tabriz.coordinates == "Point(46.2919 38.08)"
    assert "Q5" not in tabriz.types and tabriz.known
    assert (facts["Q794"].iso2, facts["Q794"].iso3) == ("IR", "IRN")
    assert not facts["Q1"].known


def test_nothing_is_fetched_at_import() -> None:
    code = ("import socket\n"
            "def refuse(*args, **kwargs):\n    raise AssertionError('network at import')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "import citykg.wikidata, citykg.items, citykg.candidates, citykg.reconcile, citykg.enrich, citykg.link, citykg.review, citykg.cli\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_empty_answer_is_not_an_error() -> None:
    body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": []}})
    with Scripted([ok(body)]) as server:
        assert Client(server.url, cache=None).select("SELECT ?x WHERE {}") == []
    assert json.loads(EMPTY)["results"]["bindings"]


@pytest.mark.parametrize(("bindings", "fault"), [
    ([{"item": "x"}], "?item of result 1 is not an RDF term ('x')"),
    ([1, 2], "result 1 is '1', not an object of variables"),
    ([{"item": {"type": "uri"}}], "?item of result 1 is not an RDF term"),  # no value
    ([{"item": {"type": "uri", "value": "urn:q1"}, "label": {"type": "literal", "value": "a", "xml:lang": "en"}},
      {"item": {"type": "uri", "value": "urn:q2"}}], "result 2 binds no ?label, which the query always binds"),
])
def test_a_malformed_answer_is_an_error_and_never_cached(bindings: list[object], fault: str, tmp_path: Path) -> None:
    query = "SELECT ?item ?label WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    body = json.dumps({"head": {"vars": ["item", "label"]}, "results": {"bindings": bindings}})
    with Scripted([ok(body)]) as server, pytest.raises(EndpointError) as raised:
        Client(server.url, cache=tmp_path).select(query)
    assert str(raised.value).startswith(f"{server.url} answered with a SPARQL result that is not well formed: {fault}")
    assert list(tmp_path.rglob("*.json")) == []


@pytest.mark.parametrize(("head", "fault"), [
    ({"vars": []}, "its head lists the variables [], not ?item, which the query selects (a blocking proxy can "
                   "answer so)"),
    ({"vars": ["item"]}, "its head lists the variables ['item'], not ?label"),
    ({}, "it has no head listing its variables (the query selects ?item)"),
])
def test_an_answer_whose_head_lists_none_of_the_variables_is_no_answer(head: dict[str, object], fault: str,
                                                                        tmp_path: Path) -> None:
    query = "SELECT ?item ?label WHERE { ?item ?p ?o OPTIONAL { ?item <urn:label> ?label } }"
    body = json.dumps({"head": head, "results": {"bindings": []}})
    with Scripted([ok(body)]) as server, pytest.raises(EndpointError) as raised:
        Client(server.url, cache=tmp_path).select(query)
    assert str(raised.value).startswith(f"{server.url} answered with a SPARQL result that is not well formed: {fault}")
    assert list(tmp_path.rglob("*.json")) == []  # not cached
    with Scripted([ok(json.dumps({"head": {"vars": []}, "results": {"bindings": [{}]}}))]) as server:
        assert Client(server.url, cache=None).select("SELECT * WHERE {}") == [{}]  # it selects no variable by name


def test_the_variables_a_query_may_leave_unbound_are_not_required() -> None:
    body = json.dumps({"head": {"vars": ["item", "label"]},
                       "results": {"bindings": [{"item": {"type": "uri", "value": "urn:x"}}]}})
    query = "SELECT ?item ?label WHERE { ?item ?p ?o OPTIONAL { ?item <urn:label> ?label } }"
    with Scripted([ok(body), ok(body)]) as server:
        assert Client(server.url, cache=None).select(query) == [{"item": Value("urn:x", None, True)}]
        with pytest.raises(EndpointError, match=r"binds no \?label"):
            Client(server.url, cache=None).select(query, required=("item", "label"))


def test_a_cached_answer_of_the_wrong_shape_is_asked_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT ?x WHERE {}"
    with Scripted([ok(), ok()]) as server:
        first = Client(server.url, cache=tmp_path).select(query)
        path = next(tmp_path.rglob("*.json"))
        entry = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**entry, "answer": {"results": {"bindings": [{"x": "ok"}]}}}), encoding="utf-8")
        again = Client(server.url, cache=tmp_path)
        assert again.select(query) == first and again.stats.requests == 1 and again.stats.cached == 0
        assert len(server.requests) == 2
    assert f"the cached answer {path} is damaged; asking the endpoint again" in capsys.readouterr().err
    assert json.loads(path.read_text(encoding="utf-8"))["answer"] == json.loads(EMPTY)  # mended


@pytest.mark.parametrize("header", ["0", format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)])
def test_a_retry_after_of_no_time_still_waits_a_second(header: str) -> None:
    waits: list[float] = []
    with Scripted([(429, {"Retry-After": header}, b""), ok()]) as server:
        Client(server.url, cache=None, sleep=waits.append).select("SELECT ?x WHERE {}")
    assert waits == [1.0]


def test_a_server_that_keeps_failing_is_not_unreachable() -> None:
    with Scripted([(500, {}, b"boom")] * 3) as server, pytest.raises(EndpointError) as raised:
        Client(server.url, cache=None, retries=2, sleep=lambda s: None).select("SELECT ?x WHERE {}")
    assert str(raised.value).startswith(f"{server.url} still answers HTTP 500 Internal Server Error after 2 retries.")
    assert "Cannot reach" not in str(raised.value)


def test_retries_are_not_counted_as_queries() -> None:
    with Scripted([(503, {}, b"busy"), (503, {}, b"busy"), ok()]) as server:
        client = Client(server.url, cache=None, sleep=lambda s: None)
        client.select("SELECT ?x WHERE {}")
    assert len(server.requests) == 3 and (client.stats.requests, client.stats.retries) == (1, 2)
    assert client.stats.describe() == "1 query sent (2 retries), 0 answered from the cache"


def test_the_timeout_is_not_cut_to_whole_seconds() -> None:
    with Scripted([ok()], delay=1.3) as server:
        assert Client(server.url, cache=None, timeout=1.9, retries=0).select("SELECT ?x WHERE {}")  # not 1 s


@pytest.mark.parametrize(("endpoint", "contact"), [
    ("http://[::1", None), ("http://127.0.0.1:1/کوئری", None), ("http://127.0.0.1:1/q", "مهدی@example.ir"),
    ("http://127.0.0.1:1/q", "me\r\nX-Evil: 1"),
])
def test_an_unusable_url_or_contact_is_an_endpoint_error(endpoint: str, contact: str | None) -> None:
    with pytest.raises(EndpointError, match="Check the endpoint URL and the contact"):
        Client(endpoint, cache=None, contact=contact, retries=0).select("SELECT ?x WHERE {}")


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_url_that_takes_no_sparql_query_is_not_asked_again(status: int) -> None:
    waits: list[float] = []
    with Scripted([(status, {}, b"Unsupported method ('POST')")] * 5) as server, \
            pytest.raises(EndpointError, match=rf"answered HTTP {status} .*: there is no SPARQL endpoint at that URL"):
        Client(server.url, cache=None, sleep=waits.append).select("SELECT ?x WHERE {}")
    assert len(server.requests) == 1 and waits == []


def test_json_nested_too_deep_is_an_endpoint_error_not_a_crash(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with Scripted([(200, {"Content-Type": "application/sparql-results+json"}, deep)]) as server, \
            pytest.raises(EndpointError, match="answered HTTP 200 with JSON nested too deep to be a SPARQL SELECT"):
        Client(server.url, cache=tmp_path, retries=0).select("SELECT ?x WHERE {}")
    assert list(tmp_path.rglob("*.json")) == []  # nothing cached
