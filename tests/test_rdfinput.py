"""Reading RDF input safely: quoted triples, encodings, remote contexts and sizes are refused
with a message that names the input (a path, or ``upload`` for an HTTP body) and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat
from submitting import write

from citykg.errors import InputError
from citykg.intake import receive, receive_bytes
from citykg.rdfinput import INPUT_BASE, MAX_RDF_BYTES, parse_rdf, rdf_format_of, read_rdf

QUOTED = ("{}: citykg does not read quoted triples (RDF-star << … >>, RDF 1.2 <<( … )>> or an annotation "
          "{{| … |}}); a submission states its records in plain triples. Write the triple itself, and give "
          "its source with prov:wasDerivedFrom and a ckg:SourceRow.")
CITY, FR = "<https://w3id.org/citykg/id/city/a>", "<https://w3id.org/citykg/id/country/FR>"


@pytest.mark.parametrize(("suffix", "text", "line"), [
    (".ttl", f"@prefix ckg: <https://w3id.org/citykg/ontology#> .\n\n<< {CITY} ckg:country {FR} >> ckg:country {FR} .\n", 3),
    (".ttl", f"{CITY} <https://e.org/p> 1 .\n{CITY} <https://e.org/p>\n  <<( {CITY} <https://e.org/p> 1 )>> .\n", 3),
    (".trig", f"{CITY} <https://e.org/p> 1 {{| <https://e.org/q> 2 |}} .\n", 1),
    (".nt", f"{CITY} <https://e.org/p> <<( {CITY} <https://e.org/p> {FR} )>> .\n", 1)],
    ids=["subject", "triple-term", "annotation", "n-triples"])
def test_quoted_triples_are_refused_at_their_line(tmp_path: Path, suffix: str, text: str, line: int) -> None:
    path = tmp_path / f"star{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        receive(path, tmp_path / "work")
    assert str(caught.value) == QUOTED.format(f"{path}, line {line}")
    with pytest.raises(InputError) as caught:
        receive_bytes(text.encode(), tmp_path / "body", content_type="text/turtle" if suffix == ".ttl" else
                      "application/trig" if suffix == ".trig" else "application/n-triples")
    assert str(caught.value) == QUOTED.format(f"upload, line {line}")


@pytest.mark.parametrize("suffix", [".ttl", ".trig", ".nt", ".nq", ".jsonld", ".rdf"])
def test_rdf_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"qom{suffix}"
    path.write_bytes(f'<https://e.org/s> <https://e.org/p> "x" .\n{CITY} <https://e.org/p> "قم" .\n'.encode("cp1256"))
    with pytest.raises(InputError) as caught:
        receive(path, tmp_path / "work")
    assert str(caught.value) == (f"{path} is not UTF-8: byte 0xde on line 2 cannot be decoded. Save it as UTF-8 "
                                 "(not Latin-1 or Windows-1256) and try again.")


def test_a_remote_json_ld_context_is_not_fetched(tmp_path: Path) -> None:
    path = write(tmp_path, {"remote.jsonld": '{"@context": ["https://e.org/ctx.jsonld", {}], "@id": "https://e.org/s"}'})
    with pytest.raises(InputError) as caught:
        receive(path / "remote.jsonld", tmp_path / "work")
    assert str(caught.value) == (f"{path}/remote.jsonld: citykg does not fetch remote JSON-LD contexts "
                                 '(https://e.org/ctx.jsonld): put the context inline ("@context": {"ckg": '
                                 '"https://w3id.org/citykg/ontology#", …}), or write full IRIs.')


def test_relative_iris_resolve_against_the_input_base_and_a_bom_is_dropped() -> None:
    quads = parse_rdf("\ufeff<s> <https://e.org/p> 1 .".encode(), RdfFormat.TURTLE, "a.ttl")
    assert [(q.subject, q.predicate, q.object) for q in quads] == [
        (NamedNode(INPUT_BASE + "s"), NamedNode("https://e.org/p"), Literal("1", datatype=NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")))]


def test_formats_go_by_extension_in_any_case() -> None:
    assert rdf_format_of("study.TTL") is RdfFormat.TURTLE
    assert rdf_format_of("x.owl") is RdfFormat.RDF_XML and rdf_format_of("x.json") is RdfFormat.JSON_LD
    assert rdf_format_of("table.csv") is None and rdf_format_of("README") is None


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.nt"
    with big.open("wb") as out:
        out.truncate(MAX_RDF_BYTES + 1)  # sparse: its size says enough
    with pytest.raises(InputError) as caught:
        read_rdf(big, RdfFormat.N_TRIPLES)
    assert str(caught.value) == (f"{big} is 20.0 MiB; citykg accepts RDF files up to 20 MiB. Split it into "
                                 "several submissions.")
