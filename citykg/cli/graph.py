"""``citykg build``, ``validate``, ``query`` and ``ontology check``: the graph and its questions."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from citykg.cli.common import (
    Seconds,
    Settings,
    emit,
    engine,
    engine_option,
    exit_with,
    format_option,
    pass_settings,
    remember_format,
)

if TYPE_CHECKING:
    from pyoxigraph import Store

    from citykg.adhoc import Triples

__all__ = ["build", "ontology", "query", "validate"]

# The names of citykg.formats.Format and citykg.formats.TRIPLE_FORMATS (of a CONSTRUCT or DESCRIBE),
# spelt out so that `citykg --help` does not import pyoxigraph; tests/test_cli.py keeps them in step.
FORMATS = ("json", "csv", "tsv", "table")
TRIPLE_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")
T = TypeVar("T")


@click.command()
@engine_option
@pass_settings
def build(settings: Settings, engine_name: str) -> None:
    """Build, validate and store the graph of data/ (writes dist/ only if it conforms).

    \b
    Example:
      citykg build
    """
    from citykg.build import build as run_build

    result = run_build(settings.project(), engine=engine(engine_name), progress=settings.say)
    if result.report.findings:
        click.echo(result.report.to_text(), err=True)
    state = "unchanged" if result.unchanged else "written"
    click.echo(f"Built {result.quads} quads in {result.graphs} graphs in {result.seconds:.2f} s "
               f"({state}): {result.trig.parent}")


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--standalone", is_flag=True,
              help="Check PATH on its own (the shapes and its own references), not as an addition to "
                   "the current graph: a copy of data/, or a build's citykg.trig.")
@format_option
@engine_option
@pass_settings
def validate(settings: Settings, path: Path | None, standalone: bool, fmt: str, engine_name: str) -> None:
    """Check data against the SHACL shapes: the project's data/, a folder or zip of tables, or RDF.

    PATH is checked in the context of the current graph, as `citykg submit` checks it: a record
    the graph already has is a duplicate. A link PATH is followed if it points into the project.
    Findings give severity, file, row, column, value, message and shape. Exit 0 if the data
    conforms (warnings allowed), 1 if it has violations, 2 if the input cannot be read.

    \b
    Examples:
      citykg validate
      citykg validate path/to/new-study/
      citykg validate graph.ttl --format json
      citykg validate --standalone dist/citykg.trig
    """
    from citykg.shacl import Engine
    from citykg.validate import validate as run_validate

    chosen = engine(engine_name)
    if chosen is Engine.PYSHACL:
        settings.say("validating with pySHACL, the reference engine: about a minute on the project's data")
    report = run_validate(path, project=settings.project(), engine=chosen, standalone=standalone)
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    exit_with(report.conforms)


def _has_links(store: Store) -> bool:
    """Whether the built graph holds what ``citykg link`` writes (so an empty answer is the answer)."""
    from citykg.iris import graph

    return bool(store.query(f"ASK {{ GRAPH <{graph('wikidata-links')}> {{ ?s ?p ?o }} }}"))


def _output(form: str | None, fmt: str) -> str:
    """The format to print a --file query's answer in, or a usage error if it has none.

    Rows (SELECT) and an ASK's answer take the row formats; the triples of a CONSTRUCT or
    DESCRIBE the triple formats, ``table`` (the default) giving Turtle and ``json`` JSON-LD
    (:func:`citykg.adhoc.output_format`, which the Python API's :func:`citykg.adhoc.render_any` uses).
    """
    from citykg.adhoc import output_format
    from citykg.errors import QueryParameterError

    if form is None:  # no query: run_any refuses it, with the reason
        return fmt
    try:
        return output_format(form, fmt)
    except QueryParameterError:
        if form in ("CONSTRUCT", "DESCRIBE"):
            raise click.UsageError(f"A {form} query answers triples, not rows: give --format turtle (the "
                                   "default), ntriples, jsonld or rdfxml.") from None
        raise click.UsageError(f"--format {fmt} is for the triples of a CONSTRUCT or DESCRIBE; "
                               f"{'an' if form == 'ASK' else 'a'} {form} query answers in "
                               f"{', '.join(FORMATS)}.") from None


def _within(work: Callable[[], T], timeout: float | None) -> T:
    """Run a query in a thread, so that Ctrl+C and ``timeout`` stop the command.

    pyoxigraph cannot interrupt a query, but it lets other threads run meanwhile; a stopped
    query's thread ends with the process.

    :raises QueryTimeout: if the query runs longer than ``timeout`` seconds.
    """
    import threading
    import time

    from citykg.errors import QueryTimeout

    outcome: list[T | BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the main thread
            outcome.append(exc)

    thread = threading.Thread(target=target, name="citykg-query", daemon=True)
    thread.start()
    # Waited for in short slices: the kernel may hand Ctrl+C's SIGINT to the query's thread, and
    # then the main thread sees it only when it next runs Python code.
    deadline = None if timeout is None else time.monotonic() + timeout
    while thread.is_alive() and (deadline is None or time.monotonic() < deadline):
        thread.join(0.2 if deadline is None else min(0.2, max(deadline - time.monotonic(), 0)))
    if not outcome:
        raise QueryTimeout(f"The query ran longer than the {timeout:g} s limit (--timeout) and was "
                           "stopped. Narrow it (a LIMIT, more specific patterns) or allow more time.")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _no_extra(extra: list[str]) -> None:
    """A usage error for an argument after the query's name, naming the fix for a KEY=VALUE given
    without its ``-p``."""
    if extra:
        hint = f": give each parameter with its own -p, as in -p {extra[0]}" if "=" in extra[0] else ""
        raise click.UsageError(f"Unexpected argument {extra[0]!r} after the query's name{hint}.")


def _params(values: tuple[str, ...]) -> dict[str, str]:
    """The ``--param KEY=VALUE`` options as a dict; a usage error for two parameters in one
    (``-p factor=W3,city=Mashhad``)."""
    params: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE.", param_hint="--param")
        if two := re.match(r"(.*?)\s*[,;&]\s*([A-Za-z]\w*=.*)", value):
            raise click.BadParameter(f"{item!r} holds two parameters: give each with its own -p, as in "
                                     f"-p {key.strip()}={two[1]} -p {two[2]}.", param_hint="--param")
        if key.strip() in params:
            raise click.BadParameter(f"give {key.strip()} once.", param_hint="--param")
        params[key.strip()] = value
    return params


@click.command(context_settings={"allow_extra_args": True})  # (to name the fix for `-p a=1 b=2`)
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the query; repeat for several.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
              help="Run the SPARQL query in this file ('-': standard input) instead of a named query: "
                   "SELECT, ASK, CONSTRUCT or DESCRIBE.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS + TRIPLE_FORMATS), default="table",
              show_default=True, callback=remember_format, is_eager=True,
              help="Rows: table, csv, tsv or json (SPARQL JSON). Triples (CONSTRUCT, DESCRIBE): turtle "
                   "(also for table), ntriples, jsonld (also for json) or rdfxml.")
@click.option("--timeout", type=Seconds(min=0), default=60.0, show_default=True, metavar="SECONDS",
              help="Stop a query that runs longer (0: no limit; Ctrl+C stops it too).")
@pass_settings
def query(settings: Settings, name: str | None, list_: bool, params: tuple[str, ...],
          file: Path | None, fmt: str, timeout: float | None) -> None:
    """Answer a named query (or a SPARQL file) from the built graph.

    A city parameter takes the city's name in any language and case, or its Wikidata QID.

    \b
    Examples:
      citykg query --list
      citykg query strategies-for-factor --param factor=W3 --param city=Mashhad
      citykg query themes-by-consensus -p city=Q80053 --format csv
      citykg query --file my-question.rq --format json
      citykg query --file neighbourhood.rq --format turtle
    """
    from citykg import queries
    from citykg.adhoc import render_any
    from citykg.queries import Result

    _no_extra(click.get_current_context().args)
    project = settings.project()
    if list_:
        if name or file or params:
            raise click.UsageError("--list takes no query name, --file or --param.")
        if fmt not in ("table", "json"):
            raise click.UsageError("--list prints a table (the default) or --format json.")
        catalogue = queries.load_catalogue(project.queries)
        if fmt == "json":
            import json

            click.echo(json.dumps([q.to_dict() for q in catalogue.values()], ensure_ascii=False, indent=2))
        else:
            click.echo(queries.catalogue_text(catalogue), nl=False)
        return
    if name and file:
        raise click.UsageError(f"Give a query NAME or --file Q.rq, not both (NAME {name!r} and --file {file}).")
    if not name and not file:
        raise click.UsageError("Give a query NAME or --file Q.rq (see `citykg query --list`).")
    from citykg.store import open_store

    timeout = timeout or None
    answer: Result | bool | Triples
    if file:
        if params:
            raise click.UsageError("--param works with named queries, not with --file.")
        from citykg.adhoc import form_of, run_any

        text = queries.read_query_text(file)
        shape = _output(form_of(text), fmt)
        store = open_store(project)
        answer = _within(lambda: run_any(store, text), timeout)
    else:
        if fmt in TRIPLE_FORMATS:
            raise click.UsageError(f"--format {fmt} is for the triples of a CONSTRUCT or DESCRIBE (--file); "
                                   f"named queries give rows: {', '.join(FORMATS)}.")
        shape = fmt
        store = open_store(project)
        named = queries.get_query(project.queries, str(name))
        values = _params(params)
        answer = _within(lambda: queries.run(store, named, values), timeout)
        if not answer.rows and named.needs and not _has_links(store):
            settings.note(f"no rows: '{named.name}' reads what `{named.needs}` adds to the graph; "
                          f"run `{named.needs}`, then `citykg build`, and ask again")
        elif answer.lacking:
            settings.note(f"no rows: {answer.lacking}, which '{named.name}' reads")
    # as the data has it (click.echo would drop escape sequences, ESC [ … m, when stdout is no terminal)
    emit(render_any(answer, shape))
    if isinstance(answer, Result) and answer.studies:
        study = next(p.name for p in named.params if p.type == "study")
        settings.note(f"the rows come from {len(answer.studies)} studies ({', '.join(answer.studies)}) and no column "
                      f"says which: give --param {study}=ID for the rows of one")
    if not isinstance(answer, (Result, bool)):  # triples: stdout is RDF, so their number goes to stderr
        settings.say(f"{len(answer.triples)} triple{'s' * (len(answer.triples) != 1)}")


@click.group()
def ontology() -> None:
    """Check the OWL ontology."""


@ontology.command("check")
@format_option
@click.option("--reason/--no-reason", default=True, show_default=True,
              help="Run the HermiT reasoner (needs Java).")
@pass_settings
def ontology_check(settings: Settings, fmt: str, reason: bool) -> None:
    """Reason over the ontology with HermiT (owlready2) and run quality checks.

    Checks: consistency; every term labelled and defined; no punning; no undeclared term used by
    the data or the shapes. Exit 0 if it passes, 1 if not, 2 if it cannot run (HermiT needs
    Java: install a Java runtime, or pass --no-reason for the other checks).

    \b
    Example:
      citykg ontology check
    """
    from citykg.ontology import check_ontology

    report = check_ontology(settings.project(), reason=reason, progress=settings.say)
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    exit_with(report.conforms)
