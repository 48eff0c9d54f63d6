"""``citykg link``: link cities to Wikidata, enrich them, compare partnerships across sources."""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections import Counter
from pathlib import Path

import click

from citykg.cli.common import Seconds, Settings, pass_settings, remember_format
from citykg.errors import quoted
from citykg.names import match_key

__all__ = ["link_command"]

_EXAMPLE = "such as https://query.wikidata.org/sparql or http://127.0.0.1:7878/query"
#: The user name and password of a URL (``user:pw@`` in ``http://user:pw@host/``).
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def _endpoint(ctx: click.Context, param: click.Parameter, url: str) -> str:
    """The --endpoint URL, checked: http or https, a host (in ASCII), a port number if any, no
    user name or password (never shown in a message), no spaces or control characters; a path or
    query in other letters than ASCII is percent-encoded.

    >>> _endpoint(None, None, "http://127.0.0.1:7878/کوئری")
    'http://127.0.0.1:7878/%DA%A9%D9%88%D8%A6%D8%B1%DB%8C'
    """
    shown, credentials = _USERINFO.subn(r"\1…@", url, count=1)  # never shown: a password may be there

    def bad(why: str) -> click.BadParameter:
        return click.BadParameter(f"{quoted(shown)} {why}. Give the URL of a SPARQL endpoint, {_EXAMPLE}.",
                                  param_hint="--endpoint (or CITYKG_ENDPOINT)")

    if credentials:
        raise bad("has a user name or password before its host: citykg sends no credentials, and would store the "
                  "URL with the retrieval in graphs/; give the URL without them")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        raise bad("has a space or a control character (a space in a path is written %20)")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad("has a port that is no number from 1 to 65535" if "port" in str(exc).lower()
                  else f"is not a well-formed URL ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise bad("is not an http(s) URL of a SPARQL endpoint")
    if not parts.hostname:
        raise bad("names no host")
    if port == 0:
        raise bad("has a port that is no number from 1 to 65535")
    if not parts.netloc.isascii():
        raise bad("has a host name in other letters than ASCII: give its xn-- form (as `idn2` prints it)")
    if url.isascii():
        return url
    path, query = (urllib.parse.quote(x, safe="/:@!$&'()*+,;=-._~%?[]") for x in (parts.path, parts.query))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _contact(ctx: click.Context, param: click.Parameter, contact: str | None) -> str | None:
    """The --contact for the User-Agent header, which is ASCII: letters other than ASCII are
    percent-encoded (an IRI made a URI); a control character (a line break) is refused.

    >>> _contact(None, None, " مهدی@example.ir ")
    '%D9%85%D9%87%D8%AF%DB%8C@example.ir'
    """
    if contact is None:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in contact):
        raise click.BadParameter(f"{quoted(contact)} has a control character (a line break?): give one URL or "
                                 "e-mail address on one line (mailto:you@example.org).",
                                 param_hint="--contact (or CITYKG_CONTACT)")
    contact = contact.strip()
    return contact if contact.isascii() else urllib.parse.quote(contact, safe=bytes(range(0x20, 0x7F)))


@click.command("link")
@click.option("--endpoint", default="https://query.wikidata.org/sparql", envvar="CITYKG_ENDPOINT", show_default=True,
              show_envvar=True, metavar="URL", callback=_endpoint,
              help="The SPARQL endpoint: the Wikidata Query Service, a mirror or a local server.")
@click.option("--name", metavar="NAME", help="Look up one name (any script) instead of linking the project.")
@click.option("--country", metavar="CC",
              help="With --name: its country, as ISO 3166-1 code (IR, IRN) or the QID of a country (one the "
                   "project's countries table lists, or the endpoint gives an ISO code).")
@click.option("--names", "names_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Reconcile a CSV or TSV list (UTF-8) with a 'name' column and optional 'country' "
                   "(ISO 3166-1 code or QID) and 'qid' columns; a row may give a QID instead of a name.")
@click.option("-f", "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True,
              callback=remember_format, is_eager=True,
              help="json: one line per name or record, best candidate first.")
@click.option("--decisions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A review file with decisions (a QID or 'none') to apply and keep.")
@click.option("--review", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the review file of ambiguous links. Default: DIST/wikidata-review.csv.")
@click.option("--quickstatements", is_flag=True,
              help="Print the twinnings of the tables that Wikidata lacks, as QuickStatements lines.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), envvar="CITYKG_CACHE", show_envvar=True,
              help="Folder of cached answers. Default: $XDG_CACHE_HOME/citykg/sparql, else "
                   "~/.cache/citykg/sparql.")
@click.option("--no-cache", is_flag=True, help="Neither read nor keep cached answers.")
@click.option("--refresh", is_flag=True, help="Ask the endpoint again even when an answer is cached.")
@click.option("--contact", envvar="CITYKG_CONTACT", show_envvar=True, metavar="URL|EMAIL", callback=_contact,
              help="Contact for the User-Agent the service asks for (other letters than ASCII are "
                   "percent-encoded). Default: the citykg project page.")
@click.option("--timeout", type=Seconds(1, 600), default=60.0, show_default=True,
              help="Seconds to wait for one answer.")
@click.option("--parallel", type=click.IntRange(1, 8), metavar="N",
              help="Queries in flight at once. Default: 1 to the Wikidata Query Service, whose operators "
                   "ask for one at a time; 2 to other endpoints.")
@pass_settings
def link_command(settings: Settings, endpoint: str, name: str | None, country: str | None,
                 names_file: Path | None, fmt: str, decisions: Path | None, review: Path | None,
                 quickstatements: bool, cache: Path | None, no_cache: bool, refresh: bool,
                 contact: str | None, timeout: float, parallel: int | None) -> None:
    """Link cities to Wikidata, enrich them, and compare partnerships across sources.

    Without --name or --names: link the project's cities and countries (a QID in the tables
    wins; then a person's decisions; then names), fetch their labels, coordinates, population
    and P190 partners, and write graphs/wikidata-links.nq and graphs/wikidata.nq (run
    `citykg build` next). Ambiguous links go to a review file; fill its decision column and
    pass it back with --decisions. With --quickstatements, the twinnings that are not
    exported (a city without a QID, or with one only a name match found) are named on stderr.

    \b
    Examples:
      citykg link --name تبريز --country IR
      citykg link --names cities.csv --format json
      citykg link
      citykg link --decisions dist/wikidata-review.csv
      citykg link --quickstatements > partnerships.qs
    """
    from citykg.wikidata import Client, default_cache

    if name is not None and not name.strip():
        raise click.UsageError("--name is empty: give the name to look up (or leave --name out to link the project).")
    if name is not None and not match_key(name):
        raise click.UsageError(f"--name {quoted(name)} has no letters or digits (only marks, joiners or "
                               "punctuation): give the place's name (or its QID).")
    modes = sum((name is not None, names_file is not None, quickstatements))
    if modes > 1:
        raise click.UsageError("Give one of --name, --names or --quickstatements (or none, to link the project).")
    if quickstatements and fmt == "json":
        raise click.UsageError("--quickstatements prints QuickStatements V1 lines, which have no JSON form: leave "
                               "out --format json.")
    if country and not name:
        raise click.UsageError("--country goes with --name; a --names file has a 'country' column.")
    if (decisions or review) and modes:
        raise click.UsageError("--decisions and --review go with linking the project (no --name, --names or "
                               "--quickstatements).")
    client = Client(endpoint, cache=None if no_cache else cache or default_cache(), contact=contact,
                    timeout=timeout, refresh=refresh, parallel=parallel, progress=settings.say)
    from citykg.review import matches_json, matches_table

    if name or names_file:
        from citykg.reconcile import NameQuery, reconcile
        from citykg.review import read_names

        queries = read_names(names_file) if names_file else [NameQuery.of(name or "", country)]
        codes = _country_codes(settings) if any(q.country for q in queries) else {}
        if names_file:
            settings.say(f"reconciling {len(queries)} name{'' if len(queries) == 1 else 's'} at {client.endpoint}")
        matches = reconcile(queries, client=client, country_codes=codes)
        click.echo(matches_json(matches) if fmt == "json" else matches_table(matches), nl=False)
        if names_file:
            decided = Counter(m.decision.value for m in matches)
            settings.say(f"{decided['linked']} linked, {decided['ambiguous']} ambiguous, {decided['none']} none; "
                         f"{client.stats.describe()}")
    elif quickstatements:
        from citykg.quickstatements import quickstatements as export

        found = export(settings.project(), client=client)
        for statement in found.statements:
            click.echo(statement.line)
        for left_out in found.left_out:
            click.echo(f"citykg: warning: {left_out}", err=True)
        for hint in found.hints:
            click.echo(f"citykg: hint: {hint}", err=True)
        settings.say(found.summary())
    else:
        from citykg.link import link

        run = link(settings.project(), client=client, decisions=decisions, review=review, progress=settings.say)
        shown = [lk for lk in run.links if fmt == "json" or lk.record.kind == "city" or not lk.match.qid]
        matches = [lk.match for lk in shown]
        records = [lk.record.ref for lk in shown]
        click.echo(matches_json(matches, records=records) if fmt == "json"
                   else matches_table(matches, records=records), nl=False)
        for warning in run.warnings:
            click.echo(f"citykg: warning: {warning}", err=True)
        for line in run.summary():
            settings.say(line)


def _country_codes(settings: Settings) -> dict[str, str]:
    """The project's countries (ISO code by QID), which a --country QID may name; with a warning
    and none if the project's tables cannot be read (countries are then checked at the endpoint)."""
    from citykg.errors import CitykgError
    from citykg.link import country_codes

    try:
        return country_codes(settings.project())
    except CitykgError as exc:
        click.echo(f"citykg: warning: the project's countries cannot be read ({exc}); a country QID is "
                   "checked against the endpoint only.", err=True)
        return {}
