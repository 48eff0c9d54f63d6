"""``citykg template``, ``submit`` and ``submissions``: new data, checked in context and merged safely."""

from __future__ import annotations

import json
from pathlib import Path

import click

from citykg.cli.common import Settings, engine, engine_option, exit_with, format_option, pass_settings, submitter

__all__ = ["submissions", "submit", "template"]


@click.command()
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


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--who", envvar="CITYKG_SUBMITTER", metavar="NAME",
              help="Who submits it (recorded with PROV, and public). Default: CITYKG_SUBMITTER, or your login.")
@format_option
@engine_option
@pass_settings
def submit(settings: Settings, path: Path, who: str | None, fmt: str, engine_name: str) -> None:
    """Check PATH in context and, if it conforms, merge it into the store as its own graph.

    PATH is a folder or .zip of CSV tables (see `citykg template`), or an RDF file. The same
    input twice is one submission. A rejected submission writes nothing. Exit 0 accepted (or
    already there), 1 rejected (the report says why), 2 unreadable or unsafe input.

    \b
    Example:
      citykg submit new-study.zip --who "Ana Example"
    """
    from citykg.submit import submit as run_submit

    result = run_submit(path, project=settings.project(), who=submitter(who), engine=engine(engine_name))
    if fmt == "json":
        answer = result.to_dict() | ({} if result.accepted else {"error": result.message(), "exit": 1})
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        click.echo(result.report.to_text())
        click.echo(result.message())
    exit_with(result.accepted)


@click.group()
def submissions() -> None:
    """List, show and withdraw data submissions (kept in PROJECT/submissions/)."""


@submissions.command("list")
@format_option
@pass_settings
def submissions_list(settings: Settings, fmt: str) -> None:
    """List the submissions, oldest first, with their status.

    \b
    Example:
      citykg submissions list
    """
    from citykg.submissions import submissions_table
    from citykg.submit import list_submissions

    subs = list_submissions(settings.project())
    if fmt == "json":
        click.echo(json.dumps([s.to_dict() for s in subs], ensure_ascii=False, indent=2))
    else:
        click.echo(submissions_table(subs), nl=False)


@submissions.command("show")
@click.argument("ident", metavar="ID")
@format_option
@pass_settings
def submissions_show(settings: Settings, ident: str, fmt: str) -> None:
    """Show one submission: who, when, checksum, files, status and history.

    \b
    Example:
      citykg submissions show 3f2a9c0d
    """
    from citykg.submissions import find_submission

    sub = find_submission(settings.project(), ident)
    if fmt == "json":
        click.echo(json.dumps(sub.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(sub.describe(), nl=False)


@submissions.command("withdraw")
@click.argument("ident", metavar="ID")
@click.option("--who", envvar="CITYKG_SUBMITTER", metavar="NAME", help="Who withdraws it.")
@format_option
@engine_option
@pass_settings
def submissions_withdraw(settings: Settings, ident: str, who: str | None, fmt: str, engine_name: str) -> None:
    """Remove exactly one submission's graph from the store; its files stay, marked withdrawn.

    Submitting the same input again reinstates it. What `citykg link` wrote in graphs/ about
    the records it adds goes with it; every other link and decision stays. A withdrawal that
    would leave the graph invalid (another submission relies on it) is refused with the report
    (exit 1).

    \b
    Example:
      citykg submissions withdraw 3f2a9c0d
    """
    from citykg.submit import withdraw

    result = withdraw(ident, project=settings.project(), who=submitter(who), engine=engine(engine_name))
    if fmt == "json":
        click.echo(json.dumps({"ok": True, "submission": result.submission.to_dict(), "build": result.build_id,
                               "unlinked": list(result.unlinked)}, ensure_ascii=False, indent=2))
        return
    if result.unlinked:
        settings.note(f"the Wikidata links and facts of {', '.join(result.unlinked)} left graphs/ with it; "
                      "every other link and decision stays.")
    click.echo(f"Withdrew submission {result.submission.id}: its graph <{result.submission.graph}> "
               f"is no longer in the store (build {result.build_id}).")
