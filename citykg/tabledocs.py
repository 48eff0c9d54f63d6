"""The documentation of citykg's tables, made from :mod:`citykg.schema`: one Markdown section per
table with its columns, whether each is required, its type, meaning and the RDF property it
becomes. ``data/README.md`` and the README that ``citykg template`` writes include it.

Example::

    >>> describe_tables(["cities"]).splitlines()[0]
    '### `cities.csv`'
"""

from __future__ import annotations

from collections.abc import Collection

from citykg.schema import TABLES, Kind

__all__ = ["describe_tables"]


_KIND_DOCS = {
    Kind.KEY: "key (Latin letters A–Z, digits 0–9, `.` `_` `-`)",
    Kind.TEXT: "text",
    Kind.FA: "Persian text",
    Kind.EN: "English text",
    Kind.COUNT: "whole number ≥ 0",
    Kind.POSITIVE: "whole number ≥ 1",
    Kind.YEAR: "year (YYYY, Gregorian)",
    Kind.DATE: "date (YYYY, YYYY-MM or YYYY-MM-DD)",
    Kind.QID: "Wikidata QID (Q…)",
    Kind.ENUM: "one of the listed values",
    Kind.REF: "reference",
    Kind.SOURCE_TABLE: "text: table, figure or section",
    Kind.SOURCE_ROW: "text: row or item",
    Kind.CITATION: "text: citation or URL",
}


def describe_tables(names: Collection[str] | None = None) -> str:
    """Markdown documentation of the tables (default: all): columns, types, allowed values, RDF property.

    ``data/README.md`` and ``citykg template`` include it; a test keeps them in step.
    """
    from citykg.iris import shorten

    out: list[str] = []
    for table in (t for t in TABLES.values() if names is None or t.name in names):
        key = ", ".join((("study",) if table.in_study else ()) + table.key)
        out.append(f"### `{table.name}.csv`\n\n{table.doc} One row per record; key: {key}.\n")
        out.append("| column | required | type | meaning | becomes |")
        out.append("|---|---|---|---|---|")
        for c in table.columns:
            kind = _KIND_DOCS[c.kind]
            if c.kind is Kind.ENUM:
                kind = "one of " + ", ".join(f"`{v}`" for v in c.choices)
            elif c.kind is Kind.REF:
                article = "an" if c.ref[0][:1].lower() in "aeiou" else "a"
                kind = f"key of {article} " + " or ".join(c.ref)
            example = f" Example: `{c.example}`." if c.example else ""
            prop = shorten(c.predicate) if c.predicate else ""
            out.append(f"| `{c.name}` | {'yes' if c.required else ''} | {kind} | {c.doc}{example} | {prop} |")
        out.append("")
    return "\n".join(out)
