"""Entity tags and conditional requests (citykg.prepared): ETag, If-None-Match and If-Match, on a real server."""

from __future__ import annotations

import httpx
import pytest

QUERY = "SELECT ?s WHERE { ?s a ckg:Strategy } ORDER BY ?s LIMIT 2"


@pytest.mark.parametrize("path, params, accept", [
    ("/sparql", {"query": QUERY}, "text/csv"),
    ("/queries/strategies-for-factor", {"factor": "W3", "city": "Mashhad"}, "application/sparql-results+json"),
    ("/id/study/mashhad-oic/factor/W3", {}, "text/turtle"),
    ("/queries", {}, "application/json"),
    ("/static/app.js", {}, "*/*"),
    ("/sparql", {}, "text/turtle"),  # the service description
])
def test_an_answer_a_client_holds_is_not_sent_again(client: httpx.Client, path: str, params: dict[str, str],
                                                     accept: str) -> None:
    first = client.get(path, params=params, headers={"Accept": accept})
    assert first.status_code == 200 and first.content
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    again = client.get(path, params=params, headers={"Accept": accept, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and "content-type" not in again.headers
    assert again.headers.get("vary") == first.headers.get("vary")
    head = client.head(path, params=params, headers={"Accept": accept, "If-None-Match": f'"x", W/{tag}'})
    assert head.status_code == 304


def test_an_answer_that_changed_is_sent_in_full(client: httpx.Client) -> None:
    csv = client.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"})
    tsv = client.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/tab-separated-values",
                                                                  "If-None-Match": csv.headers["etag"]})
    assert tsv.status_code == 200 and tsv.headers["etag"] != csv.headers["etag"]
    assert tsv.text.startswith("?s\n<") and csv.text.startswith("s\r\n")
    # the same bytes in another media type are another answer
    ask = {accept: client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": accept})
           for accept in ("text/csv", "text/tab-separated-values")}
    assert ask["text/csv"].content == ask["text/tab-separated-values"].content
    assert ask["text/csv"].headers["etag"] != ask["text/tab-separated-values"].headers["etag"]


def test_an_etag_is_the_answers_own_and_only_a_lasting_answers(client: httpx.Client) -> None:
    by_get = client.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"})
    by_post = client.post("/sparql", content=QUERY, headers={"Content-Type": "application/sparql-query",
                                                             "Accept": "text/csv"})
    assert by_post.content == by_get.content and by_post.headers["etag"] == by_get.headers["etag"]
    volatile = client.get("/sparql", params={"query": "SELECT (NOW() AS ?now) WHERE {}"})
    assert volatile.status_code == 200 and "etag" not in volatile.headers
    assert "etag" not in client.get("/health").headers
    refused = client.get("/sparql", params={"query": "SELECT"}, headers={"If-None-Match": "*"})
    assert refused.status_code == 400 and "etag" not in refused.headers


def test_an_answer_with_new_blank_nodes_is_the_same_bytes_every_time(client: httpx.Client) -> None:
    construct = "CONSTRUCT { ?s ckg:note [ ckg:of ?s ] } WHERE { ?s a ckg:Strategy } ORDER BY ?s LIMIT 2"
    answers = [client.get("/sparql", params={"query": f"{construct} # {n}"}, headers={"Accept": "application/n-triples"})
               for n in range(2)]  # (the comment keeps the server's cache out of it)
    assert answers[0].status_code == 200 and "_:b0" in answers[0].text
    assert answers[0].content == answers[1].content and answers[0].headers["etag"] == answers[1].headers["etag"]


def test_the_service_description_is_the_same_bytes_from_any_process() -> None:
    from citykg.service import description_triples

    made = [description_triples("http://127.0.0.1:8000/sparql", {"https://w3id.org/citykg/graph/x": 3}, "10 s")
            for _ in range(2)]
    assert made[0] == made[1]


def test_any_tag_matches_only_an_answer_there_is(client: httpx.Client) -> None:
    assert client.get("/queries", headers={"If-None-Match": "*"}).status_code == 304
    missing = client.get("/id/study/mashhad-oic/factor/W99", headers={"If-None-Match": "*"})
    assert missing.status_code == 404
    volatile = "SELECT (NOW() AS ?now) WHERE {}"  # an answer without an entity tag is one there is
    assert client.get("/sparql", params={"query": volatile}, headers={"If-None-Match": "*"}).status_code == 304
    posted = client.post("/sparql", content=volatile, headers={"Content-Type": "application/sparql-query",
                                                               "If-None-Match": "*"})
    assert posted.status_code == 412 and posted.json()["error"].startswith("If-None-Match is *, which any answer matches")


def test_a_condition_a_post_or_if_match_fails_is_412(client: httpx.Client) -> None:
    # RFC 9110, 13.1: only a GET or HEAD is told 304; If-Match names the answer the client expects
    direct = {"Content-Type": "application/sparql-query", "Accept": "text/csv"}
    tag = client.post("/sparql", content=QUERY, headers=direct).headers["etag"]
    for sent in (tag, "*"):
        held = client.post("/sparql", content=QUERY, headers={**direct, "If-None-Match": sent})
        assert held.status_code == 412 and "only a GET or HEAD is answered 304" in held.json()["error"]
    assert client.post("/sparql", content=QUERY, headers={**direct, "If-None-Match": '"other"'}).status_code == 200
    same = client.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv", "If-Match": f'"x", {tag}'})
    assert same.status_code == 200 and same.headers["etag"] == tag
    changed = client.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv", "If-Match": '"x"'})
    assert changed.status_code == 412 and "If-Match names none of this answer's entity tags" in changed.json()["error"]
    assert client.get("/health", headers={"If-Match": "*"}).status_code == 200  # any answer there is
    assert client.get("/health", headers={"If-Match": tag}).status_code == 412  # an answer with no tag
