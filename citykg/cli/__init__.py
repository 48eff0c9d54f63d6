"""The ``citykg`` command line: parse options, call one library function, print the result.

Results go to stdout and diagnostics (progress, warnings, errors) to stderr. Every error a user
can cause is a :class:`citykg.errors.CitykgError`; the root group turns it into one line on
stderr and the error's exit code: 0 success or conforms, 1 invalid data, 2 usage or unreadable
input. Heavy libraries are imported inside the commands that need them, so ``citykg --help``
starts at once.

The commands live beside this module, by job: :mod:`~citykg.cli.graph` (build, validate, query,
ontology check), :mod:`~citykg.cli.serve`, :mod:`~citykg.cli.submit` (template, submit,
submissions) and :mod:`~citykg.cli.link`; what they share is :mod:`~citykg.cli.common`.
"""

from __future__ import annotations

import click

from citykg import __version__
from citykg.cli.common import CONTEXT, Group, Settings
from citykg.cli.graph import build, ontology, query, validate
from citykg.cli.link import link_command
from citykg.cli.serve import serve
from citykg.cli.submit import submissions, submit, template

__all__ = ["cli", "main"]


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("--project", "project_dir", type=click.Path(file_okay=False), envvar="CITYKG_PROJECT",
              show_envvar=True, metavar="DIR",
              help="Project folder (ontology/, shapes/, queries/, data/). Default: the current folder or "
                   "the nearest one above it that is one, else the checkout citykg runs from.")
@click.option("--dist", type=click.Path(file_okay=False), envvar="CITYKG_DIST", show_envvar=True, metavar="DIR",
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

    Exit codes: 0 success (or data conforms), 1 invalid data (violations), 2 a usage error or
    input that cannot be decoded or parsed.
    """
    from_env = ctx.get_parameter_source("project_dir") is click.core.ParameterSource.ENVIRONMENT
    ctx.obj = Settings(project_dir, dist, quiet, project_from_env=from_env)


for _command in (build, validate, query, ontology, serve, template, submit, submissions, link_command):
    cli.add_command(_command)


def main() -> None:
    """The console entry point."""
    cli(prog_name="citykg")
