"""Submissions over HTTP: a real `citykg serve` on 127.0.0.1 with a submission token.

One server starts for this module on a built copy of the project, with CITYKG_SUBMIT_TOKEN set,
as an operator would run it. The concurrency test sends twenty submissions at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import copy_project
from serving import Running, start_server
from submitting import NEW_STUDY, city_tables, snapshot, store_quads, zip_bytes

from citykg.build import build
from citykg.iris import submission_graph
from citykg.project import Project
from citykg.serve import create_app
from citykg.submit_http import submission_routes

TOKEN = "s3cret-token-for-tests"
AUTH = {"authorization": f"Bearer {TOKEN}"}
ZIP = {"content-type": "application/zip"}


def start(project: Project, folder: Path, *, token: str) -> Running:
    """`citykg serve --port 0` on the project, with the token in the environment."""
    return start_server(None, folder, "--workers", "1", root=project.root, env={"CITYKG_SUBMIT_TOKEN": token})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Running]]:
    project = copy_project(tmp_path_factory.mktemp("site") / "project", folders=("reference", "tabriz-2024"))
    build(project)
    running = start(project, tmp_path_factory.mktemp("site-server"), token=TOKEN)
    yield project, running
    running.stop()


@pytest.fixture(scope="module")
def client(site: tuple[Project, Running]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site[1].url, timeout=120) as http:
        yield http


def table_zip(files: dict[str, str]) -> bytes:
    return zip_bytes({name: text for name, text in files.items()})


def test_without_the_token_nothing_is_written(site: tuple[Project, Running], client: httpx.Client) -> None:
    project, _ = site
    tree = snapshot(project.root)
    body = table_zip(city_tables("ardabil", qid="Q1"))
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"},
                    {"authorization": TOKEN}):
        response = client.post("/submissions", content=body, headers={**ZIP, **headers})
        assert response.status_code == 401, response.text
        why = "the token sent is not the server's" if headers.get("authorization", "").startswith("Bearer ") \
            else "send 'Authorization: Bearer TOKEN'"
        assert response.json() == {"ok": False, "status": 401, "error": f"POST /submissions needs the "
                                   f"submission token: {why}."}
        assert response.headers["www-authenticate"] == 'Bearer realm="citykg"'
    assert snapshot(project.root) == tree


def test_without_the_token_the_body_is_not_read(client: httpx.Client) -> None:
    """A client without the token is answered before it sends its body: it cannot make the
    server read 40 MiB first (the request below announces 40 MiB and sends 10 bytes)."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(str(client.base_url))
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(b"POST /submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/zip\r\n"
                     b"Content-Length: 41943040\r\n\r\n0123456789")
        answer = sock.recv(4096)  # a server reading the body first would wait here until the timeout
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]


def test_a_submission_lands_and_can_be_read_back(site: tuple[Project, Running], client: httpx.Client) -> None:
    project, _ = site
    response = client.post("/submissions?who=Ana", content=table_zip(NEW_STUDY), headers={**ZIP, **AUTH})
    assert response.status_code == 201, response.text
    answer = response.json()
    sid = answer["id"]
    assert answer["outcome"] == "accepted" and answer["graph"] == submission_graph(sid)
    assert answer["report"]["conforms"] is True
    assert response.headers["location"] == f"/submissions/{sid}"
    assert (project.root / "submissions" / sid / "factors.csv").read_text(encoding="utf-8") == NEW_STUDY["factors.csv"]
    shown = client.get(f"/submissions/{sid}").json()
    assert shown["submission"]["who"] == "Ana" and shown["submission"]["status"] == "accepted"
    assert sid in [s["id"] for s in client.get("/submissions").json()["submissions"]]
    # The running server follows the new build: the submission's graph answers SPARQL.
    ask = f"ASK {{ GRAPH <{submission_graph(sid)}> {{ ?s ?p ?o }} }}"
    deadline = time.monotonic() + 20
    while not client.get("/sparql", params={"query": ask},
                         headers={"accept": "application/sparql-results+json"}).json()["boolean"]:
        assert time.monotonic() < deadline, "the server did not pick up the new build"
        time.sleep(0.2)
    again = client.post("/submissions", content=table_zip(NEW_STUDY), headers={**ZIP, **AUTH})
    assert again.status_code == 200 and again.json()["outcome"] == "existing" and again.json()["id"] == sid
    # the submission's graph IRI dereferences here, as every IRI citykg mints does
    page = client.get(answer["graph"].replace("https://w3id.org/citykg", ""), headers={"Accept": "text/turtle"})
    assert page.status_code == 200 and "prov:wasAttributedTo" in page.text


def test_a_rejected_submission_is_422_with_the_report(site: tuple[Project, Running], client: httpx.Client) -> None:
    project, _ = site
    tree = snapshot(project.root)
    bad = city_tables("kerman", qid="kerman")
    response = client.post("/submissions", content=table_zip(bad), headers={**ZIP, **AUTH})
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["ok"] is False and answer["error"].startswith("The submission does not conform (1 violation")
    [finding] = [f for f in answer["report"]["findings"] if f["severity"] == "violation"]
    assert finding["file"] == "upload/cities.csv" and finding["row"] == 2 and finding["column"] == "wikidata"
    assert finding["message"].startswith("A Wikidata id is Q and a number from 1")
    unreadable = client.post("/submissions", content=b"PK\x03\x04nonsense", headers={**ZIP, **AUTH})
    assert unreadable.status_code == 422
    assert "upload is not a readable zip archive" in unreadable.json()["error"]
    assert unreadable.json()["report"]["findings"][0]["file"] == "upload"
    latin = client.post("/submissions", content=zip_bytes({"mine/cities.csv": "id,label_en\nkerman,Kermân\n".encode(
        "latin-1")}), headers={**ZIP, **AUTH})
    assert latin.status_code == 422 and "upload/mine/cities.csv is not UTF-8" in latin.json()["error"]
    assert latin.json()["report"]["findings"][0]["file"] == "upload/mine/cities.csv"  # the file the message names
    assert snapshot(project.root) == tree
    time.sleep(0.3)  # the access log is written every 0.1 s; it says why each was refused
    logged = [json.loads(line) for line in site[1].log_records()]
    errors = [r.get("error", "") for r in logged if r["path"] == "/submissions" and r["status"] == 422][-3:]
    assert [e.split(" (")[0].split(" is ")[0] for e in errors] == [
        "The submission does not conform", "upload", "upload/mine/cities.csv"], errors


def test_rdf_submissions_by_media_type(site: tuple[Project, Running], client: httpx.Client) -> None:
    turtle = b"<https://w3id.org/citykg/id/city/tabriz> <https://w3id.org/citykg/ontology#wikidataId> \"Q80053x\" ."
    response = client.post("/submissions", content=turtle, headers={"content-type": "text/turtle", **AUTH})
    assert response.status_code == 422
    assert any(f["message"].startswith("A Wikidata id is Q") for f in response.json()["report"]["findings"])
    as_json = client.post("/submissions", headers={"content-type": "application/json", **AUTH}, content=json.dumps(
        {"@id": "https://w3id.org/citykg/id/city/tabriz", "https://w3id.org/citykg/ontology#wikidataId": "Q80053x"}))
    assert as_json.status_code == 422  # read as JSON-LD, as a .json file is
    assert any(f["message"].startswith("A Wikidata id is Q") for f in as_json.json()["report"]["findings"])
    zipped = client.post("/submissions", content=table_zip(NEW_STUDY), headers={"content-type": "text/turtle", **AUTH})
    assert zipped.status_code == 422
    assert zipped.json()["error"] == "upload is a zip archive sent as text/turtle: send it as application/zip."
    broken = client.post("/submissions", content=b"<a> <b>", headers={"content-type": "text/turtle", **AUTH})
    assert broken.status_code == 422 and "upload is not valid Turtle" in broken.json()["error"]
    (finding,) = broken.json()["report"]["findings"]  # a finding like any other, with all its keys
    assert (finding["file"], finding["shape"], finding["row"]) == ("upload", "citykg:input", None)
    nobody = client.post("/submissions?who=%01", content=table_zip(NEW_STUDY), headers={**ZIP, **AUTH})
    assert nobody.status_code == 400 and "Say who submits the data (?who=NAME)" in nobody.json()["error"]
    blank = client.post("/submissions?who=", content=table_zip(NEW_STUDY), headers={**ZIP, **AUTH})
    assert blank.status_code == 400 and "Say who submits the data (?who=NAME)" in blank.json()["error"]
    empty = client.post("/submissions", content=b"", headers={**ZIP, **AUTH})
    assert empty.status_code == 400 and empty.json()["error"].startswith("The body is empty")
    turtle_gz = client.post("/submissions", content=b"\x1f\x8b", headers={"content-type": "text/turtle",
                                                                         "content-encoding": "gzip", **AUTH})
    assert turtle_gz.status_code == 415 and "not compressed (Content-Encoding: gzip)" in turtle_gz.json()["error"]
    latin = client.post("/submissions", content=turtle, headers={"content-type": "text/turtle; charset=latin-1",
                                                                 **AUTH})
    assert latin.status_code == 415 and "in UTF-8, not 'latin-1'" in latin.json()["error"]
    other = client.post("/submissions", content=b"x", headers={"content-type": "application/pdf", **AUTH})
    assert other.status_code == 415 and "application/pdf" in other.json()["error"]
    n3 = client.post("/submissions", content=b"<a:b> <a:c> <a:d> .", headers={"content-type": "text/n3", **AUTH})
    assert n3.status_code == 415 and "not 'text/n3'" in n3.json()["error"]


def test_rdf_xml_with_entities_is_refused_before_it_is_parsed(client: httpx.Client) -> None:
    # ten levels of ten: parsed, it would be 10 GB of text; refused, it costs nothing
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    for entities, use in ((laughs, "&l9;"), ('<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;")):
        body = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {entities} ]>\n<rdf:RDF xmlns:rdf='
                f'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="https://w3id.org/citykg/'
                f'id/x"><rdf:value>{use}</rdf:value></rdf:Description></rdf:RDF>\n').encode()
        for media in ("application/rdf+xml", "application/rdf+xml; charset=utf-8"):
            response = client.post("/submissions", content=body, headers={"content-type": media, **AUTH})
            assert response.status_code == 422, response.text
            assert "upload declares XML entities (<!ENTITY …>); citykg refuses them" in response.json()["error"]


def test_bodies_over_the_limit_are_413(client: httpx.Client) -> None:
    response = client.post("/submissions", content=b"0" * (50 * 2**20 + 1), headers={**ZIP, **AUTH})
    assert response.status_code == 413
    turtle = client.post("/submissions", content=b"#" * (20 * 2**20 + 1), headers={"content-type": "text/turtle", **AUTH})
    assert turtle.status_code == 413 and "citykg reads RDF up to 20 MiB" in turtle.json()["error"]


def test_the_list_has_one_answer_with_or_without_a_slash(client: httpx.Client) -> None:
    listed = client.get("/submissions")
    assert listed.status_code == 200 and client.get("/submissions/").json() == listed.json()


def test_unknown_submissions_are_404(client: httpx.Client) -> None:
    response = client.get("/submissions/0123456789abcdef")
    assert response.status_code == 404 and "No submission '0123456789abcdef'" in response.json()["error"]
    assert "GET /submissions lists them" in response.json()["error"]  # no command-line advice over HTTP


def test_a_record_the_server_cannot_read_is_its_own_fault_and_not_shown(site: tuple[Project, Running],
                                                                       client: httpx.Client) -> None:
    project, _ = site
    broken = project.root / "submissions" / "00000000deadbeef"
    broken.mkdir(parents=True)
    try:
        (broken / "submission.json").write_text("{not json", encoding="utf-8")
        for path in ("/submissions", "/submissions/00000000deadbeef"):
            response = client.get(path)
            assert response.status_code == 500, path
            assert "cannot be read" in response.json()["error"] and str(project.root) not in response.text
        tree = snapshot(project.root)
        posted = client.post("/submissions", content=table_zip(city_tables("ardabil", qid="Q1")), headers={**ZIP, **AUTH})
        assert posted.status_code == 500 and "cannot be read" in posted.json()["error"], posted.text
        assert str(project.root) not in posted.text and snapshot(project.root) == tree
    finally:
        (broken / "submission.json").unlink()
        broken.rmdir()
    # the operator is told which record, in the request's access-log line: not in plain text on stderr
    time.sleep(0.3)  # the access log is written every 0.1 s
    records = [json.loads(line) for line in site[1].log_records()]
    told = [r["error"] for r in records if r["status"] == 500 and r["path"].startswith("/submissions")][-3:]
    assert len(told) == 3 and all(e.startswith("A submission record cannot be read: ") for e in told), told
    assert all("00000000deadbeef" in e for e in told), told
    assert "deadbeef" not in site[1].stderr.read_text(encoding="utf-8")


def test_sparql_stays_read_only_even_with_the_token(site: tuple[Project, Running], client: httpx.Client) -> None:
    project, _ = site
    before = store_quads(project)
    update = "INSERT DATA { GRAPH <https://e.org/g> { <https://e.org/s> <https://e.org/p> 1 } }"
    for response in (client.post("/sparql", data={"update": update}, headers=AUTH),
                     client.post("/sparql", content=update, headers={"content-type": "application/sparql-update", **AUTH})):
        assert 400 <= response.status_code < 500 and response.json()["ok"] is False
    assert store_quads(project) == before


def test_twenty_concurrent_submissions_each_land_or_are_rejected(site: tuple[Project, Running],
                                                                 client: httpx.Client) -> None:
    project, _ = site
    bodies: list[tuple[str, bytes]] = []
    bodies += [(f"city-{i}", table_zip(city_tables(f"town{i}", qid=f"Q{9000 + i}"))) for i in range(12)]
    bodies += [(f"bad-{i}", table_zip(city_tables(f"bad{i}", qid=f"X{i}"))) for i in range(4)]
    twice = table_zip(city_tables("twice", qid="Q8000"))
    bodies += [("twice-a", twice), ("twice-b", twice)]
    bodies += [(f"clash-{i}", table_zip(city_tables("clash", qid=f"Q{7000 + i}"))) for i in range(2)]
    assert len(bodies) == 20

    def send(item: tuple[str, bytes]) -> tuple[str, int, dict[str, object]]:
        name, body = item
        with httpx.Client(base_url=client.base_url, timeout=300) as http:
            response = http.post(f"/submissions?who={name}", content=body, headers={**ZIP, **AUTH})
        return name, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, bodies))
    status = {name: code for name, code, _ in answers}
    assert all(status[f"city-{i}"] == 201 for i in range(12)), status
    assert all(status[f"bad-{i}"] == 422 for i in range(4)), status
    assert sorted((status["twice-a"], status["twice-b"])) == [200, 201], status
    assert sorted((status["clash-0"], status["clash-1"])) == [201, 422], status
    landed = {str(body["id"]) for _, code, body in answers if code in (200, 201)}
    assert len(landed) == 14
    # Nothing is lost: every accepted submission is in submissions/ and in the final store.
    kept = {p.name for p in (project.root / "submissions").iterdir()}
    assert landed <= kept and not any(name.startswith(".") for name in kept)
    graphs = {line.rsplit(" ", 2)[-2] for line in store_quads(project) if "/graph/submission/" in line}
    assert {f"<{submission_graph(sid)}>" for sid in landed} <= graphs
    assert len(graphs) == len(kept)
    assert not (project.dist / ".merge.json").exists()
    rejected = [body for name, code, body in answers if code == 422 and name.startswith("clash")]
    assert "Duplicate city 'clash'" in json.dumps(rejected)


def test_a_server_without_a_token_takes_no_submissions(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", folders=("reference",))
    app = create_app(project, routes=[submission_routes(token="")])

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post("/submissions", content=b"x", headers={**ZIP, **AUTH})

    response = asyncio.run(post())
    assert response.status_code == 403
    assert response.json()["error"] == "This server takes no submissions: start it with CITYKG_SUBMIT_TOKEN set."
    assert not (project.root / "submissions").exists()
