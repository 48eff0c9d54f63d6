"""What every ``citykg`` command shares: the root options, the shared options, and error exits.

Every error a user can cause is a :class:`citykg.errors.CitykgError`; :class:`Group` turns it
into one line on stderr and the error's exit code, in one place for every command, and does the
same (exit 2) for a file system error: a folder that cannot be made, a file that cannot be
written, a full disk.

Example::

    >>> settings = Settings(project_dir=None, dist=None, quiet=True)
    >>> settings.project().queries.name
    'queries'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from citykg.errors import CitykgError, DataError, ProjectError
from citykg.project import Project

if TYPE_CHECKING:
    from citykg.shacl import Engine

__all__ = [
    "CONTEXT",
    "Group",
    "Seconds",
    "Settings",
    "describe_os_error",
    "emit",
    "engine",
    "engine_option",
    "exit_with",
    "format_option",
    "pass_settings",
    "remember_format",
    "submitter",
]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
F = TypeVar("F", bound=Callable[..., Any])
_COMMAND_ARGS = "citykg.command_args"  # where Group keeps the arguments that follow the command's name


class _Failure(click.ClickException):
    """A CitykgError on its way out: usage or unreadable input (exit 2)."""

    exit_code = 2


class _Invalid(_Failure):
    """A CitykgError on its way out: the data is invalid (exit 1)."""

    exit_code = 1


class Group(click.Group):
    """A group that turns citykg errors into messages, in one place for every command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        # the command's own arguments (after its name), read again if they fail to parse
        ctx.meta[_COMMAND_ARGS] = list(rest)
        return rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataError as exc:
            click.echo(exc.report.to_text(), err=True)
            _json_error(ctx, str(exc), 1, report=exc.report.to_json())
            raise _Invalid(str(exc)) from exc
        except click.UsageError as exc:  # a bad option or argument (exit 2)
            exc = _root_option_hint(ctx, exc)
            _json_asked(self, ctx, exc)
            _json_error(ctx, exc.format_message(), exc.exit_code)
            raise exc from None
        except CitykgError as exc:
            _json_error(ctx, str(exc), exc.exit_code)
            raise (_Invalid if exc.exit_code == 1 else _Failure)(str(exc)) from exc
        except KeyboardInterrupt:  # Ctrl+C: exit as the shell reports a command that SIGINT stopped
            message = ("Interrupted (Ctrl+C). What citykg writes it writes whole: a build, submission or "
                       "withdrawal stopped part way left the last one in place.")
            _json_error(ctx, message, 130)
            click.echo(f"Error: {message}", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader of the output stopped reading (citykg … | head)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            sys.exit(141)  # as the shell reports a command that SIGPIPE stopped
        except OSError as exc:  # a folder that cannot be made, a full disk: the user's to fix
            message = describe_os_error(exc)
            _json_error(ctx, message, 2)
            raise _Failure(message) from exc


def _root_option_hint(ctx: click.Context, exc: click.UsageError) -> click.UsageError:
    """A root option given after the command (``citykg build -q``) gets a hint where it goes:
    ``citykg -q build …``, ``citykg --project DIR build …``, ``citykg --version``."""
    if not isinstance(exc, click.NoSuchOption) or exc.ctx is None or exc.ctx.command is ctx.command:
        return exc
    for param in ctx.command.params:
        if isinstance(param, click.Option) and exc.option_name in param.opts + param.secondary_opts:
            usage = exc.option_name
            if not param.is_flag and not param.count:  # it takes a value, which goes with it
                usage += f" {param.metavar or param.make_metavar(ctx)}"
            if param.expose_value:  # an option to run the command with, not an action such as --version
                usage += f" {exc.ctx.command_path.partition(' ')[2]} …"
            return click.UsageError(f"{exc.format_message()} {exc.option_name} is an option of citykg itself: "
                                    f"put it before the command (citykg {usage}).", exc.ctx)
    return exc


def _json_asked(group: click.Group, ctx: click.Context, exc: click.UsageError) -> None:
    """Whether the command line asks for JSON, read from the failing command's arguments when
    they did not parse (an unknown option: ``--format`` was never read), for :func:`_json_error`."""
    if not isinstance(ctx.obj, Settings) or ctx.obj.json_output:
        return
    args: list[str] = ctx.meta.get(_COMMAND_ARGS, [])
    command: click.Command | None = exc.ctx.command if exc.ctx is not None else None
    if command is None:  # an option without its value: click names no command, so find it in the arguments
        command = group.get_command(ctx, ctx.invoked_subcommand or "")
        while isinstance(command, click.Group):
            command = next((command.commands[arg] for arg in args if arg in command.commands), None)
    if command is not None:
        ctx.obj.json_output = _format_asked(command, args) == "json"


def _format_asked(command: click.Command, args: list[str]) -> str | None:
    """The value of ``command``'s ``--format`` in ``args`` (the last one given), or ``None``, read as
    click's parser reads options: a value may follow its option, be joined to it (``--format=json``,
    ``-fjson``) or end a group of short flags (``-qf json``); what follows ``--`` is no option.

    >>> command = click.Command("c", params=[click.Option(["-p"]), click.Option(["-f", "--format"]),
    ...                                      click.Option(["-q"], is_flag=True)])
    >>> _format_asked(command, ["-p", "-f", "--bogus"]), _format_asked(command, ["-qfjson", "--bogus"])
    (None, 'json')
    >>> _format_asked(command, ["-f", "json", "x", "--format=csv"]), _format_asked(command, ["--", "-f", "json"])
    ('csv', None)
    """
    takes_value: dict[str, bool] = {}  # option name → whether it is --format
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and not param.count:
            for name in param.opts + param.secondary_opts:
                takes_value[name] = "--format" in param.opts
    found, tokens = None, iter(args)
    for token in tokens:
        if token == "--":
            break
        if token.startswith("--"):
            name, joined, value = token.partition("=")
            if name in takes_value:
                value = value if joined else next(tokens, "")
                found = value if takes_value[name] else found
        elif token.startswith("-") and len(token) > 1:
            for i in range(1, len(token)):
                if "-" + token[i] in takes_value:
                    value = token[i + 1:] or next(tokens, "")
                    found = value if takes_value["-" + token[i]] else found
                    break
    return found


class Seconds(click.FloatRange):
    """A number of seconds in a range; ``nan``, which every comparison lets through, is refused.

    >>> Seconds(min=0).convert("2.5", None, None)
    2.5
    """

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:  # nan
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return number


def emit(text: str) -> None:
    """Write a command's result to stdout as it is (escape sequences too), whole or not at all:
    written to the file descriptor in pieces, a reader that stops reading (``| head``) ends the
    command with 141, where Python's own stream would drop the rest of a large write silently.
    A stdout that cannot be written (a full disk) is an error that names it."""
    if sys.stdout is None:  # started with stdout closed (citykg … >&-): the result would go nowhere
        raise OSError(errno.EBADF, "it is closed", "the standard output")
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's runner): as click writes
        click.echo(text, nl=False, color=True)
        return
    sys.stdout.flush()
    data = memoryview(text.encode(sys.stdout.encoding or "utf-8", errors=sys.stdout.errors or "strict"))
    try:
        while data:
            data = data[os.write(fd, data[:1 << 16]):]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, "the standard output") from exc


def describe_os_error(exc: OSError) -> str:
    """One line for a file system error, naming the path and what to check.

    >>> describe_os_error(FileNotFoundError(2, "No such file or directory", "/x/y"))
    'Cannot use /x/y: No such file or directory. Check the path and that citykg may write there.'
    """
    what = f"Cannot use {exc.filename}" if exc.filename else "A file operation failed"
    if exc.filename2:
        what += f" or {exc.filename2}"
    reason = exc.strerror or str(exc)
    return (f"{what}: {reason}. Check the path and that citykg may write there"
            + (" (and that the disk has room)." if exc.errno == errno.ENOSPC else "."))


def _json_error(ctx: click.Context, message: str, code: int, *, report: str | None = None) -> None:
    """With ``--format json``, an error is JSON on stdout too, so that a program reading it gets one
    (with the report of the findings behind it, if any)."""
    if isinstance(ctx.obj, Settings) and ctx.obj.json_output:
        answer: dict[str, object] = {"ok": False, "error": message, "exit": code}
        if report is not None:
            answer["report"] = json.loads(report)
        with contextlib.suppress(OSError):  # stdout may be what failed; the message goes to stderr too
            click.echo(json.dumps(answer, ensure_ascii=False))


@dataclass
class Settings:
    """Options of the root command, shared by every command."""

    project_dir: str | None
    dist: str | None
    quiet: bool
    json_output: bool = False  # the command prints JSON (--format json): so do its errors
    project_from_env: bool = False  # project_dir is the value of CITYKG_PROJECT, not of --project

    def project(self) -> Project:
        """The project these options name (``--project``, ``--dist``).

        :raises ProjectError: if the folder does not exist (saying whether CITYKG_PROJECT named it),
            or lacks a part of a project.
        """
        where, from_env = self.project_dir, self.project_from_env
        if not where and os.environ.get("CITYKG_PROJECT"):
            where, from_env = os.environ["CITYKG_PROJECT"], True
        if where and not os.path.exists(where):
            folder = os.path.abspath(where)
            parts = "a citykg project (one with ontology/, shapes/, queries/ and data/)"
            if from_env:
                raise ProjectError(f"The project folder {folder} does not exist: the environment variable "
                                   f"CITYKG_PROJECT names it. Set CITYKG_PROJECT to the folder of {parts}, "
                                   "or unset it to use the current folder.")
            raise ProjectError(f"The project folder {folder} (--project) does not exist. Give --project the "
                               f"folder of {parts}, or leave it out to use the current folder.")
        return Project.locate(where, dist=self.dist)

    def say(self, message: str) -> None:
        """A progress message on stderr, unless ``--quiet``."""
        if not self.quiet:
            click.echo(f"citykg: {message}", err=True)

    @staticmethod
    def note(message: str) -> None:
        """A note on stderr about what an answer means, which ``--quiet`` keeps (as warnings)."""
        click.echo(f"citykg: {message}", err=True)


pass_settings = click.make_pass_decorator(Settings)


def engine_option(function: F) -> F:
    """The ``--engine`` option of the commands that validate."""
    return click.option("--engine", "engine_name", type=click.Choice(("turbo", "pyshacl")), default="turbo",
                        show_default=True, help="SHACL engine: pyshacl-turbo, or the reference pySHACL.")(function)


def format_option(function: F) -> F:
    """The ``--format text|json`` option of the commands that print a report."""
    return click.option("-f", "--format", "fmt", type=click.Choice(("text", "json")), default="text",
                        show_default=True, callback=remember_format, is_eager=True)(function)


def remember_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The callback of every ``--format`` option: with ``json``, errors are printed as JSON too.

    The options are eager (read before the others), so that a bad value of another option is
    reported as JSON as well.
    """
    settings = ctx.find_object(Settings)
    if settings is not None:
        settings.json_output = value == "json"
    return value


def engine(name: str) -> Engine:
    """The :class:`citykg.shacl.Engine` named by ``--engine`` (imported only when needed)."""
    from citykg.shacl import Engine

    return Engine(name)


def submitter(who: str | None) -> str:
    """Who submits or withdraws: ``--who``, else the login name."""
    if who is not None:
        return who  # an empty name is refused with the others (citykg.submit)
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise click.UsageError("Say who submits the data: --who NAME (or CITYKG_SUBMITTER).") from None


def exit_with(conforms: bool) -> None:
    """Exit 0 if the data conforms (or was accepted), 1 if not."""
    sys.exit(0 if conforms else 1)
