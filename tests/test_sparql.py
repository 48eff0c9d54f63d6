"""The /sparql route's parameters, on a real server (the protocol at large is in test_serve.py)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("params, hint", [
    ({"q": "ASK {}"}, " (did you mean 'query'?)"),
    ({"Query": "ASK {}"}, " (did you mean 'query'?)"),
    ({"qeury": "ASK {}"}, " (did you mean 'query'?)"),
    ({"formt": "ttl"}, " (did you mean 'format'?)"),
    ({"graph": "https://w3id.org/citykg/graph/reference"}, " (a named graph is served at /graph/NAME, its IRI's path)"),
    ({"colour": "blue"}, ""),
])
def test_a_stray_parameter_is_not_taken_for_a_request_of_the_description(client: httpx.Client, params: dict[str, str],
                                                                          hint: str) -> None:
    response = client.get("/sparql", params=params)
    assert response.status_code == 400, response.text
    name = next(iter(params))
    assert response.json()["error"] == (
        f"/sparql takes no parameter '{name}'{hint}. GET /sparql?query=… runs a query; /sparql alone (or with "
        "?format=) answers the service description.")


def test_the_description_and_queries_keep_their_parameters(client: httpx.Client) -> None:
    assert client.get("/sparql", params={"format": "ttl"}).headers["content-type"].startswith("text/turtle")
    assert client.get("/sparql").status_code == 200
    answer = client.get("/sparql", params={"query": "ASK {}", "format": "json"})
    assert answer.status_code == 200 and answer.json()["boolean"] is True
