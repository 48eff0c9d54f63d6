"""Write empty source tables to fill in: ``citykg template DIR``.

Each table of :mod:`citykg.schema` becomes ``DIR/<table>.csv`` with its header and one example
row written as a comment: its first cell starts with ``#``, and the loader skips such rows
(:mod:`citykg.tables`), so a template can be submitted as it is, and a row is used by deleting
the ``#``. ``DIR/README.md`` documents every column (:func:`citykg.tabledocs.describe_tables`).
Cells are written through :func:`citykg.formats.neutralise`, like every CSV citykg writes.

Example::

    >>> import tempfile
    >>> written = write_template(Path(tempfile.mkdtemp()) / "t", tables=["factors"])
    >>> [p.name for p in written.files]
    ['factors.csv', 'README.md']
    >>> print(written.files[0].read_text(encoding="utf-8"), end="")
    study,code,kind,label_fa,label_en,source_table,source_row,note
    #new-study,O2,opportunity,نمونه,An example,Table 3,SO1.2,
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from citykg.errors import InputError
from citykg.formats import neutralise
from citykg.schema import TABLES, Column, Kind, Table
from citykg.tabledocs import describe_tables

__all__ = ["Template", "example_row", "write_template"]

_BY_KIND = {Kind.KEY: "example-1", Kind.FA: "نمونه", Kind.EN: "An example", Kind.COUNT: "3",
            Kind.POSITIVE: "1", Kind.YEAR: "2024", Kind.DATE: "2019-05", Kind.QID: "Q80053",
            Kind.REF: "example-1", Kind.SOURCE_TABLE: "Table 1", Kind.SOURCE_ROW: "1",
            Kind.CITATION: "Author (2024), p. 3", Kind.TEXT: ""}
#: Examples that make a row consistent: a new study, and references to the reference data.
_OVERRIDES = {
    ("studies", "id"): "new-study", ("studies", "city"): "mashhad",
    ("studies", "title_en"): "A new study of city diplomacy", ("studies", "method_en"): "Interviews",
    ("declared_counts", "value"): "45", ("subthemes", "theme"): "cultural",
    ("codes", "subtheme"): "cultural-1", ("concepts", "scheme"): "wang-amiri-functions",
    ("themes", "dimension"): "cultural", ("concepts", "dimension"): "economic",
    ("partnerships", "city_a"): "tabriz", ("partnerships", "city_b"): "mashhad",
    ("partnerships", "study"): "", ("partnerships", "source_table"): "",
    ("partnerships", "source_row"): "", ("organisation_members", "status"): "member",
    ("organisations", "city"): "", ("organisations", "parent"): "", ("cities", "id"): "isfahan",
    ("cities", "label_en"): "Isfahan", ("cities", "label_fa"): "اصفهان",
    ("cities", "wikidata"): "Q42053", ("partnerships", "end"): "",
    ("declared_counts", "subject"): "", ("studies", "panel_size"): "12",
    ("studies", "fieldwork_year"): "2023", ("organisations", "wikidata"): "",  # no QID in the data to show
}
_README = """# citykg tables to fill in

One CSV file per table, UTF-8, commas between cells (RFC 4180 quoting). Keep the header row;
delete the tables you do not need. Each file has one example row written as a comment: a row
whose first cell starts with `#` is skipped, so delete the `#` to use the row, or leave it.
The examples show the format, and fit together where one row can (strategy SO1 builds on factor
O2); they are not a submission on their own: an SO strategy also needs a strength, say, the
example country and organisation rows repeat records the graph already has (a repeat is
refused), and the example city row adds Isfahan with a made-up source: write your own.
A new study goes in its own folder (`new-study/factors.csv` …); partnerships and memberships
may refer to the studies, cities and organisations already in the graph.

Check the tables, then submit them:

    citykg validate DIR
    citykg submit DIR --who "Your Name"

"""


@dataclass(frozen=True)
class Template:
    """The files a template run wrote."""

    folder: Path
    files: tuple[Path, ...]


def example_row(table: Table) -> list[str]:
    """An example row of ``table``, one cell per column (empty for optional free text)."""
    return [_example(table, column) for column in table.columns]


def write_template(folder: Path, *, tables: Sequence[str] | None = None) -> Template:
    """Write ``<table>.csv`` templates and ``README.md`` into ``folder``.

    :param folder: where to write; created if missing; no file in it is overwritten.
    :param tables: the tables to write (default: all of them).
    :raises InputError: if a table name is unknown or a file would be overwritten.
    """
    names = list(dict.fromkeys(tables)) if tables else list(TABLES)  # a table named twice is written once
    for name in names:
        if name not in TABLES:
            close = difflib.get_close_matches(name, TABLES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(f"Unknown table {name!r}.{hint} Tables are: {', '.join(TABLES)}.")
    targets = [folder / f"{name}.csv" for name in names] + [folder / "README.md"]
    existing = [p for p in targets if p.exists()]
    if existing:
        raise InputError(f"{existing[0]} exists; citykg template does not overwrite files. "
                         "Choose an empty folder.")
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in zip(names, targets, strict=False):
        table = TABLES[name]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.name for c in table.columns])
        row = [neutralise(cell) for cell in example_row(table)]
        writer.writerow(["#" + row[0], *row[1:]])
        path.write_text(out.getvalue(), encoding="utf-8")
    targets[-1].write_text(_README + describe_tables(names), encoding="utf-8")
    return Template(folder, tuple(targets))


def _example(table: Table, column: Column) -> str:
    key = (table.name, column.name)
    if key in _OVERRIDES:
        return _OVERRIDES[key]
    if column.name == "study":
        return "new-study"
    if column.kind is Kind.ENUM:
        return column.example or next(iter(column.choices))
    if column.kind is Kind.TEXT and not column.required:
        return ""
    return column.example or _BY_KIND[column.kind]
