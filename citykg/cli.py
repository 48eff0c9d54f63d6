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
    """Check data against the SHACL shapes: the project's data/, a folder of tables, or an RDF file.

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
        click.echo(_catalogue(queries.load_catalogue(project.queries), fmt), nl=False)
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


def _catalogue(catalogue: dict[str, Any], fmt: str) -> str:
    import json

    if fmt == "json":
        return json.dumps([
            {"name": q.name, "summary": q.summary, "description": q.description,
             "parameters": [{"name": p.name, "type": p.type, "required": p.required, "doc": p.doc}
                            for p in q.params],
             "columns": list(q.columns)}
            for q in catalogue.values()], ensure_ascii=False, indent=2) + "\n"
    lines = []
    for q in catalogue.values():
        params = " ".join(f"{p.name}={'…' if p.required else '[…]'}" for p in q.params)
        lines.append(f"{q.name:<28} {q.summary}" + (f"  ({params})" if params else ""))
    return "\n".join(lines) + "\n"


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


def main() -> None:
    """The console entry point."""
    cli(prog_name="citykg")
