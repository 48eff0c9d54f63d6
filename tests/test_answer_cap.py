"""The sink that caps an answer, and the rows found in what pyoxigraph writes (end to end: test_evaluate.py)."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, QueryResultsFormat, RdfFormat, Store, Triple, parse

from citykg.answer_cap import LAYOUTS, Capped, Cut, Sink, cut, mark_json, marker, triples_within

FORMATS = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML, "csv": QueryResultsFormat.CSV,
           "tsv": QueryResultsFormat.TSV}
# values that look like the ends of rows of each format
TRICKY = ['x},{"a":{', '"},{"', "</result><result>", "a\nb", 'c",\r\nd', ",{", "\\", "]}}", "plain"]


def written(values: list[str], fmt: str, *, max_rows: int, max_bytes: int = 1 << 30) -> tuple[Sink, bool]:
    """A sink holding ``values`` as one column of results in ``fmt``, and whether it stopped them."""
    rows = " ".join(json.dumps(v) for v in values)
    sink = Sink(max_bytes, max_rows, LAYOUTS[fmt])
    try:
        Store().query(f"SELECT ?x WHERE {{ VALUES ?x {{ {rows} }} }}").serialize(sink, format=FORMATS[fmt])  # type: ignore[union-attr]
    except Capped:
        return sink, True
    return sink, False


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_row_is_found_whatever_its_value_holds(fmt: str) -> None:
    sink, stopped = written(TRICKY, fmt, max_rows=100)
    assert not stopped and sink.rows(final=True, finished=True) == len(TRICKY)
    assert cut(sink, fmt, finished=True) == Cut(bytes(sink.buf))  # under both caps: as written


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("max_rows", [1, 4, 8])
def test_an_answer_is_cut_at_the_row_cap(fmt: str, max_rows: int) -> None:
    sink, _ = written(TRICKY, fmt, max_rows=max_rows)
    capped = cut(sink, fmt, finished=True)
    assert capped is not None and capped.truncated and not capped.by_bytes
    again, _ = written(TRICKY[:max_rows], fmt, max_rows=100)  # the same rows, written alone
    expected = bytes(again.buf)
    if fmt == "json":
        expected = mark_json(expected, max_rows)
    assert capped.body == expected


def test_the_sink_stops_at_one_byte_over_the_cap() -> None:
    sink = Sink(10)
    assert sink.write(b"0123456789") == 10
    with pytest.raises(Capped):
        sink.write(b"abc")
    assert bytes(sink.buf) == b"0123456789a"


def test_the_sink_stops_a_long_answer_at_the_row_cap() -> None:
    values = [f"{n:06d}" for n in range(20_000)]  # far more than 64 KiB: the rows are counted as they come
    sink, stopped = written(values, "tsv", max_rows=1000)
    assert stopped and len(sink.buf) < 200_000
    capped = cut(sink, "tsv", finished=False)
    assert capped is not None and capped.body.count(b"\n") == 1001 and capped.truncated


def test_an_answer_is_cut_within_the_byte_cap_and_marked() -> None:
    sink, stopped = written(["x" * 100] * 10, "json", max_rows=100, max_bytes=500)
    assert stopped
    capped = cut(sink, "json", finished=False)
    assert capped is not None and capped.truncated and capped.by_bytes and len(capped.body) <= 500
    document = json.loads(capped.body)
    assert document["citykg"] == {"truncated": True, "maxBytes": 500}
    assert 1 <= len(document["results"]["bindings"]) < 10


def test_a_first_row_over_the_byte_cap_is_none() -> None:
    sink, stopped = written(["x" * 1000], "csv", max_rows=10, max_bytes=100)
    assert stopped and cut(sink, "csv", finished=False) is None


def test_csv_formulas_are_neutralised_within_the_byte_cap() -> None:
    values = ["=1+2"] * 10
    sink, _ = written(values, "csv", max_rows=100)
    size = len(sink.buf)  # 3 + 10 × 6 bytes; each neutralised cell is a byte longer: 8 rows of 7 fit
    sink, _ = written(values, "csv", max_rows=100, max_bytes=size)
    capped = cut(sink, "csv", finished=True)
    assert capped is not None and capped.by_bytes and len(capped.body) <= size
    assert capped.body.split(b"\r\n")[1:-1] == [b"'=1+2"] * 8


def test_the_marker_goes_before_the_results() -> None:
    body = mark_json(b'{"head":{"vars":["x"]},"results":{"bindings":[]}}', 3, 99)
    assert json.loads(body)["citykg"] == {"truncated": True, "maxBytes": 99}
    assert marker(3, None) == b'"citykg":{"truncated":true,"maxRows":3},'


def test_triples_are_cut_at_a_whole_triple() -> None:
    triples = [Triple(NamedNode(f"http://example.org/s{n}"), NamedNode("http://example.org/p"), Literal("x" * 100))
               for n in range(20)]
    whole = triples_within(triples, RdfFormat.TURTLE, 1 << 20)
    assert whole is not None and not whole.truncated
    capped = triples_within(triples, RdfFormat.TURTLE, len(whole.body) // 2)
    assert capped is not None and capped.truncated and capped.by_bytes and len(capped.body) <= len(whole.body) // 2
    kept = {str(q.triple) for q in parse(capped.body, format=RdfFormat.TURTLE)}
    assert kept and kept < {str(t) for t in triples}
    assert triples_within(triples, RdfFormat.TURTLE, 50) is None
