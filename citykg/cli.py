"""The ``citykg`` command line: parse options, call one library function, print the result.

Results go to stdout and diagnostics (progress, warnings, errors) to stderr. Every error a user
can cause is a :class:`citykg.errors.CitykgError`; the group below turns it into one line on
stderr and the error's exit code: 0 success or conforms, 1 invalid data, 2 usage or unreadable
input. Heavy libraries are imported inside the commands that need them, so ``citykg --help``
starts at once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from citykg import __version__
from citykg.errors import CitykgError, DataError
from citykg.project import Project

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = ("json", "csv", "tsv", "table")
ENGINES = ("turbo", "pyshacl")


class _Failure(click.ClickException):
    """A CitykgError on its way out: usage or unreadable input (exit 2)."""

    exit_code = 2


class _Invalid(_Failure):
    """A CitykgError on its way out: the data is invalid (exit 1)."""

    exit_code = 1


class _Group(click.Group):
    """A group that turns citykg errors into messages, in one place for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataError as exc:
            click.echo(exc.report.to_text(), err=True)
            raise _Invalid(str(exc)) from exc
        except CitykgError as exc:
            raise (_Invalid if exc.exit_code == 1 else _Failure)(str(exc)) from exc


@dataclass
class Settings:
    """Options of the root command, shared by every command."""

    project_dir: str | None
    dist: str | None
    quiet: bool

    def project(self) -> Project:
        return Project.locate(self.project_dir, dist=self.dist)

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"citykg: {message}", err=True)


pass_settings = click.make_pass_decorator(Settings)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.option("--project", "project_dir", type=click.Path(file_okay=False), envvar="CITYKG_PROJECT",
              help="Project folder (ontology/, shapes/, queries/, data/). Default: this checkout.")
@click.option("--dist", type=click.Path(file_okay=False), envvar="CITYKG_DIST",
              help="Where builds go. Default: PROJECT/dist.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.version_option(__version__, prog_name="citykg")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None, dist: str | None, quiet: bool) -> None:
    """citykg: a validated knowledge graph of city diplomacy.

    \b
    Build the graph from the source tables, then ask it questions:
      citykg build
      citykg query --list
      citykg query strategies-for-factor --param factor=W3 --param city=Mashhad

    Exit codes: 0 success (or data conforms), 1 invalid data, 2 usage or unreadable input.
    """
    ctx.obj = Settings(project_dir, dist, quiet)


def _engine(name: str) -> Any:
    from citykg.shacl import Engine

    return Engine(name)


@cli.command()
@click.option("--engine", type=click.Choice(ENGINES), default="turbo", show_default=True,
              help="SHACL engine: pyshacl-turbo, or the reference pySHACL.")
@pass_settings
def build(settings: Settings, engine: str) -> None:
    """Build, validate and store the graph of data/ (writes dist/ only if it conforms).

    \b
    Example:
      citykg build
    """
    from citykg.build import build as run_build

    result = run_build(settings.project(), engine=_engine(engine), progress=settings.say)
    if result.report.findings:
        click.echo(result.report.to_text(), err=True)
    state = "unchanged" if result.unchanged else "written"
    click.echo(f"Built {result.quads} quads in {result.graphs} graphs in {result.seconds:.2f} s "
               f"({state}): {result.trig.parent}")


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--engine", type=click.Choice(ENGINES), default="turbo", show_default=True)
@pass_settings
def validate(settings: Settings, path: Path | None, fmt: str, engine: str) -> None:
    """Check data against the SHACL shapes: the project's data/, a folder or zip of tables, or RDF.

    Findings give severity, file, row, column, value, message and shape. Exit 0 if the data
    conforms (warnings allowed), 1 if it has violations, 2 if the input cannot be read.

    \b
    Examples:
      citykg validate
      citykg validate path/to/new-study/
      citykg validate graph.ttl --format json
    """
    from citykg.validate import validate as run_validate

    report = run_validate(path, project=settings.project(), engine=_engine(engine))
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    sys.exit(0 if report.conforms else 1)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE.", param_hint="--param")
        params[key.strip()] = value
    return params


@cli.command()
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the query; repeat for several.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run the SELECT query in this file instead of a named query.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_settings
def query(settings: Settings, name: str | None, list_: bool, params: tuple[str, ...],
          file: Path | None, fmt: str) -> None:
    """Answer a named query (or a SPARQL file) from the built graph.

    A city parameter takes the English name in any case or the Wikidata QID.

    \b
    Examples:
      citykg query --list
      citykg query strategies-for-factor --param factor=W3 --param city=Mashhad
      citykg query themes-by-consensus -p city=Q80053 --format csv
      citykg query --file my-question.rq --format json
    """
    from citykg import queries
    from citykg.formats import Format, render

    project = settings.project()
    if list_:
        if name or file or params:
            raise click.UsageError("--list takes no query name, --file or --param.")
        catalogue = queries.load_catalogue(project.queries)
        if fmt == "json":
            import json

            click.echo(json.dumps([q.to_dict() for q in catalogue.values()], ensure_ascii=False, indent=2))
        else:
            click.echo(queries.catalogue_text(catalogue), nl=False)
        return
    if bool(name) == bool(file):
        raise click.UsageError("Give a query NAME or --file Q.rq (see `citykg query --list`).")
    from citykg.store import open_store

    store = open_store(project)
    if file:
        if params:
            raise click.UsageError("--param works with named queries, not with --file.")
        result = queries.run_sparql(store, file.read_text(encoding="utf-8"))
    else:
        named = queries.get_query(project.queries, str(name))
        result = queries.run(store, named, _params(params))
    click.echo(render(result, Format(fmt)), nl=False)


@cli.group(cls=_Group)
def ontology() -> None:
    """Check the OWL ontology."""


@ontology.command("check")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--reason/--no-reason", default=True, show_default=True,
              help="Run the HermiT reasoner (needs Java).")
@pass_settings
def ontology_check(settings: Settings, fmt: str, reason: bool) -> None:
    """Reason over the ontology with HermiT (owlready2) and run quality checks.

    Checks: consistency; every term labelled and defined; no punning; no undeclared term used by
    the data or the shapes. Exit 0 if it passes, 1 if not.

    \b
    Example:
      citykg ontology check
    """
    from citykg.ontology import check_ontology

    report = check_ontology(settings.project(), reason=reason)
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    sys.exit(0 if report.conforms else 1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the server on this machine.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port (0: any free port).")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path),
              help="Serve this store folder instead of the project's last build.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds a query may run before it is stopped.")
@click.option("--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Most rows (or triples) in an answer; a capped answer says so.")
@click.option("--max-body", type=click.IntRange(min=1024), default=1_048_576, show_default=True,
              help="Largest request body, in bytes.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query-worker processes (queries that can run at once).")
@click.option("--worker-memory", type=click.IntRange(min=0), default=4096, show_default=True,
              help="Memory cap of each query worker, in MiB (0: none).")
@click.option("--cache", "cache_mb", type=click.IntRange(min=0), default=64, show_default=True,
              help="Memory for cached answers, in MiB (0: no cache).")
@click.option("--cors", multiple=True, metavar="ORIGIN",
              help="Let this origin read answers from a browser; repeat, or '*' for any.")
@click.option("--access-log", default="-", show_default=True, metavar="FILE",
              help="Where the JSON access log goes: '-' (stderr), a file, or 'off'.")
@pass_settings
def serve(settings: Settings, host: str, port: int, store: Path | None, timeout: float,
          max_rows: int, max_body: int, workers: int, worker_memory: int, cache_mb: int,
          cors: tuple[str, ...], access_log: str) -> None:
    """Serve the graph over HTTP: SPARQL endpoint, named queries, entity pages, query page.

    Builds the graph first if it was never built, then serves the last good build, following
    new builds without a restart. Read-only, with a query timeout, a row cap and a body cap.

    \b
    Examples:
      citykg serve                          # http://127.0.0.1:8000/
      citykg serve --port 9000 --timeout 5 --cors https://example.org
    """
    from citykg.serve import ServeConfig
    from citykg.serve import serve as run_serve

    config = ServeConfig(host=host, port=port, store=store, timeout=timeout, max_rows=max_rows,
                         max_body=max_body, workers=workers, worker_memory_mb=worker_memory,
                         cache_mb=cache_mb, cors=cors,
                         access_log=None if access_log == "off" else access_log)
    run_serve(settings.project(), config=config, progress=settings.say)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Write only this table; repeat for several. Default: every table.")
def template(folder: Path, tables: tuple[str, ...]) -> None:
    """Write empty tables to fill in: headers, a commented example row, a README of the columns.

    A row whose first cell starts with '#' is a comment: citykg skips it.

    \b
    Example:
      citykg template new-study/
    """
    from citykg.template import write_template

    for path in write_template(folder, tables=tables or None).files:
        click.echo(path)


def _submitter(who: str | None) -> str:
    if who:
        return who
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise click.UsageError("Say who submits the data: --who NAME (or CITYKG_SUBMITTER).") from None


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--who", envvar="CITYKG_SUBMITTER", metavar="NAME",
              help="Who submits it (recorded with PROV). Default: CITYKG_SUBMITTER, or your login.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--engine", type=click.Choice(ENGINES), default="turbo", show_default=True)
@pass_settings
def submit(settings: Settings, path: Path, who: str | None, fmt: str, engine: str) -> None:
    """Check PATH in context and, if it conforms, merge it into the store as its own graph.

    PATH is a folder or .zip of CSV tables (see `citykg template`), or an RDF file. The same
    input twice is one submission. A rejected submission writes nothing. Exit 0 accepted (or
    already there), 1 rejected (the report says why), 2 unreadable or unsafe input.

    \b
    Example:
      citykg submit new-study.zip --who "Ana Example <ana@example.org>"
    """
    import json

    from citykg.submit import submit as run_submit

    result = run_submit(path, project=settings.project(), who=_submitter(who), engine=_engine(engine))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.report.to_text())
        click.echo(result.message())
    sys.exit(0 if result.accepted else 1)


@cli.group(cls=_Group)
def submissions() -> None:
    """List, show and withdraw data submissions (kept in PROJECT/submissions/)."""


@submissions.command("list")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@pass_settings
def submissions_list(settings: Settings, fmt: str) -> None:
    """List the submissions, oldest first, with their status.

    \b
    Example:
      citykg submissions list
    """
    import json

    from citykg.submissions import submissions_table
    from citykg.submit import list_submissions

    subs = list_submissions(settings.project())
    if fmt == "json":
        click.echo(json.dumps([json.loads(s.to_json()) for s in subs], ensure_ascii=False, indent=2))
    else:
        click.echo(submissions_table(subs), nl=False)


@submissions.command("show")
@click.argument("ident", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@pass_settings
def submissions_show(settings: Settings, ident: str, fmt: str) -> None:
    """Show one submission: who, when, checksum, files, status and history.

    \b
    Example:
      citykg submissions show 3f2a9c0d
    """
    from citykg.submissions import find_submission

    sub = find_submission(settings.project(), ident)
    click.echo(sub.to_json() if fmt == "json" else sub.describe(), nl=False)


@submissions.command("withdraw")
@click.argument("ident", metavar="ID")
@click.option("--who", envvar="CITYKG_SUBMITTER", metavar="NAME", help="Who withdraws it.")
@click.option("--engine", type=click.Choice(ENGINES), default="turbo", show_default=True)
@pass_settings
def submissions_withdraw(settings: Settings, ident: str, who: str | None, engine: str) -> None:
    """Remove exactly one submission's graph from the store; its files stay, marked withdrawn.

    Submitting the same input again reinstates it.

    \b
    Example:
      citykg submissions withdraw 3f2a9c0d
    """
    from citykg.submit import withdraw

    result = withdraw(ident, project=settings.project(), who=_submitter(who), engine=_engine(engine))
    click.echo(f"Withdrew submission {result.submission.id}: its graph <{result.submission.graph}> "
               f"is no longer in the store (build {result.build_id}).")


@cli.command("link")
@click.option("--endpoint", default="https://query.wikidata.org/sparql", envvar="CITYKG_ENDPOINT", show_default=True,
              metavar="URL", help="The SPARQL endpoint: the Wikidata Query Service, a mirror or a local server.")
@click.option("--name", metavar="NAME", help="Look up one name (any script) instead of linking the project.")
@click.option("--country", metavar="CC", help="With --name: its country, as ISO 3166-1 code (IR, IRN) or QID.")
@click.option("--names", "names_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Reconcile a CSV or TSV list with a 'name' and an optional 'country' column.")
@click.option("-f", "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True,
              help="json: one line per name or record, best candidate first.")
@click.option("--decisions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A review file with decisions (a QID or 'none') to apply and keep.")
@click.option("--review", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the review file of ambiguous links. Default: DIST/wikidata-review.csv.")
@click.option("--quickstatements", is_flag=True,
              help="Print the twinnings of the tables that Wikidata lacks, as QuickStatements lines.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), envvar="CITYKG_CACHE",
              help="Folder of cached answers. Default: ~/.cache/citykg/sparql.")
@click.option("--no-cache", is_flag=True, help="Neither read nor keep cached answers.")
@click.option("--refresh", is_flag=True, help="Ask the endpoint again even when an answer is cached.")
@click.option("--contact", envvar="CITYKG_CONTACT", metavar="URL|EMAIL",
              help="Contact for the User-Agent the service asks for. Default: the citykg project page.")
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True,
              help="Seconds to wait for one answer.")
@pass_settings
def link_command(settings: Settings, endpoint: str, name: str | None, country: str | None,
                 names_file: Path | None, fmt: str, decisions: Path | None, review: Path | None,
                 quickstatements: bool, cache: Path | None, no_cache: bool, refresh: bool,
                 contact: str | None, timeout: float) -> None:
    """Link cities to Wikidata, enrich them, and compare partnerships across sources.

    Without --name or --names: link the project's cities and countries (a QID in the tables
    wins; then a person's decisions; then names), fetch their labels, coordinates, population
    and P190 partners, and write graphs/wikidata-links.nq and graphs/wikidata.nq (run
    `citykg build` next). Ambiguous links go to a review file; fill its decision column and
    pass it back with --decisions.

    \b
    Examples:
      citykg link --name تبريز --country IR
      citykg link --names cities.csv --format json
      citykg link
      citykg link --decisions dist/wikidata-review.csv
      citykg link --quickstatements > partnerships.qs
    """
    from citykg.wikidata import Client, default_cache

    modes = sum(bool(m) for m in (name, names_file, quickstatements))
    if modes > 1:
        raise click.UsageError("Give one of --name, --names or --quickstatements (or none, to link the project).")
    if country and not name:
        raise click.UsageError("--country goes with --name; a --names file has a 'country' column.")
    if (decisions or review) and modes:
        raise click.UsageError("--decisions and --review go with linking the project (no --name, --names or "
                               "--quickstatements).")
    client = Client(endpoint, cache=None if no_cache else cache or default_cache(), contact=contact,
                    timeout=timeout, refresh=refresh)
    from citykg.review import matches_json, matches_table

    if name or names_file:
        from citykg.reconcile import NameQuery, reconcile
        from citykg.review import read_names

        queries = [NameQuery.of(name, country)] if name else read_names(names_file)  # type: ignore[arg-type]
        matches = reconcile(queries, client=client)
        click.echo(matches_json(matches) if fmt == "json" else matches_table(matches), nl=False)
    elif quickstatements:
        from citykg.link import quickstatements as export

        statements = export(settings.project(), client=client)
        for statement in statements:
            click.echo(statement.line)
        settings.say(f"{len(statements)} P190 statements that Wikidata lacks, with their sources")
    else:
        from citykg.link import link

        run = link(settings.project(), client=client, decisions=decisions, review=review, progress=settings.say)
        shown = [lk for lk in run.links if fmt == "json" or lk.record.kind == "city" or not lk.match.qid]
        matches = [lk.match for lk in shown]
        click.echo(matches_json(matches) if fmt == "json"
                   else matches_table(matches, records=[lk.record.ref for lk in shown]), nl=False)
        for warning in run.warnings:
            click.echo(f"citykg: warning: {warning}", err=True)
        for line in run.summary():
            settings.say(line)


def main() -> None:
    """The console entry point."""
    cli(prog_name="citykg")
