"""Data submissions over HTTP, mounted in ``citykg serve``.

- ``POST /submissions`` takes a zip of CSV tables (``Content-Type: application/zip``) or an RDF
  document (``text/turtle``, ``application/trig``, ``application/ld+json`` …) and runs
  :func:`citykg.submit.submit_bytes`. It needs ``Authorization: Bearer TOKEN``, where TOKEN is
  the server's submission token (``CITYKG_SUBMIT_TOKEN``, or the ``token`` option); without a
  token, or with a wrong one, it answers 401, and a server with no token takes no submissions
  (403). ``?who=NAME`` says who submits (recorded with PROV). It answers 201 with the id and
  the report when the submission is merged, 200 when the same input was accepted before, 422
  with the report when it is rejected or unreadable (nothing is written then), 413 when the
  body is over the limit and 415 for a media type citykg does not read.
- ``GET /submissions`` lists the accepted submissions; ``GET /submissions/{id}`` describes one
  (``submission.json`` and its graph IRI); both are public, like the graph's PROV.

The SPARQL endpoint stays read-only: submissions change the store only through these routes,
by the same atomic merge as ``citykg submit``. Merges run in a thread, one at a time (the dist
lock), so queries go on being answered meanwhile.

Example::

    >>> from citykg.project import Project
    >>> from citykg.serve import create_app
    >>> app = create_app(Project.locate(), routes=[submission_routes(token="s3cret")])
    >>> app.router.match("POST", "/submissions")[0].cors
    False
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from citykg.archive import Limits
from citykg.encodings import plain_utf8
from citykg.errors import InputError, SubmissionError, quoted
from citykg.rdfinput import MAX_RDF_BYTES
from citykg.report import Finding, Report, Severity
from citykg.shacl import Engine
from citykg.submissions import Status, find_submission, load_submissions
from citykg.submit import Outcome, check_who, submit_bytes
from citykg.web import HttpError, Request, Response, Route, json_response

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["TOKEN_ENV", "submission_routes"]

_UNREADABLE_FILE = re.compile(r"^(upload(?:/[^\s:,]+)?)[\s:,]")

#: The environment variable that holds the submission token.
TOKEN_ENV = "CITYKG_SUBMIT_TOKEN"
_T = TypeVar("_T")
_ZIP = ("application/zip", "application/x-zip-compressed")
_READABLE = (*_ZIP, "text/turtle", "application/trig",
             "application/ld+json", "application/json", "application/n-triples", "application/n-quads",
             "application/rdf+xml")


def submission_routes(*, token: str | None = None, max_body: int | None = None,
                      engine: Engine = Engine.TURBO) -> Callable[[Server], Sequence[Route]]:
    """The route factory of the submission routes, for :func:`citykg.serve.create_app`.

    :param token: the submission token; default: ``CITYKG_SUBMIT_TOKEN`` (read now). With no
        token, ``POST /submissions`` answers 403.
    :param max_body: the largest body accepted, in bytes (default: the archive limit, 50 MiB).
    :param engine: the SHACL engine that validates submissions.
    """
    secret = token if token is not None else os.environ.get(TOKEN_ENV, "")
    limit = max_body or Limits().max_archive_bytes

    def factory(server: Server) -> Sequence[Route]:
        project = server.project

        def authorise(headers: Mapping[str, str]) -> None:
            _authorise(headers, secret)

        async def post(request: Request) -> Response:
            media = request.header("content-type").split(";")[0].strip().lower()
            if media not in _READABLE:
                raise HttpError(415, f"POST /submissions takes {', '.join(_READABLE)}; not "
                                     f"{media or 'a body without Content-Type'!r}.")
            plain_utf8(request.header("content-encoding"), request.header("content-type"))
            if media not in _ZIP and len(request.body) > MAX_RDF_BYTES:
                raise HttpError(413, f"The RDF document is {len(request.body) / 2**20:.1f} MiB; citykg "
                                     f"reads RDF up to {MAX_RDF_BYTES // 2**20} MiB. Split it.")
            if not request.body:
                raise HttpError(400, "The body is empty: POST the zip or RDF file itself (curl --data-binary "
                                     "@FILE; a mistyped FILE sends nothing).")
            try:  # a bad ?who= is the request's fault, not the upload's
                who = check_who(dict(request.query()).get("who", "api"), how="?who=NAME")  # ?who= is no name
            except InputError as exc:
                raise HttpError(400, str(exc)) from exc
            # the records on file are read first: one that cannot be read is the server's fault, not the upload's
            await asyncio.to_thread(_on_record, lambda: load_submissions(project))
            try:
                result = await asyncio.to_thread(submit_bytes, request.body, content_type=media,
                                                 project=project, who=who, engine=engine)
            except InputError as exc:
                # the message opens with what could not be read: the upload, or a file in its zip
                at = _UNREADABLE_FILE.match(str(exc))
                unreadable = Finding(Severity.VIOLATION, str(exc), file=at[1] if at else "upload",
                                     shape="citykg:input")
                return _unprocessable(str(exc), None, json.loads(Report.of([unreadable]).to_json()))
            report = json.loads(result.report.to_json())
            if result.outcome is Outcome.REJECTED:
                return _unprocessable(f"The submission does not conform ({result.report.summary()}); "
                                      "nothing was written.", result.id, report)
            status = 200 if result.outcome is Outcome.EXISTING else 201
            body = {"ok": True, "status": status, "outcome": result.outcome.value, "id": result.id,
                    "graph": result.submission.graph if result.submission else None,
                    "report": report}
            response = json_response(body, status=status)
            response.headers = (("location", f"/submissions/{result.id}"),)
            return response

        async def list_all(request: Request) -> Response:
            subs = _on_record(lambda: load_submissions(project, status=Status.ACCEPTED))
            return json_response({"ok": True, "status": 200, "submissions": [
                {"id": s.id, "graph": s.graph, "when": s.when, "kind": s.kind.value} for s in subs]})

        async def get_one(request: Request) -> Response:
            ident = request.path_params["id"]
            try:
                sub = _on_record(lambda: find_submission(project, ident))
            except SubmissionError as exc:
                raise HttpError(404, f"No submission {quoted(ident)}: give its id (16 digits) or its first "
                                     "4 or more, shared with no other. GET /submissions lists them.") from exc
            return json_response({"ok": True, "status": 200, "graph": sub.graph,
                                  "submission": json.loads(sub.to_json())})

        return [Route("/submissions", post, methods=("POST",), max_body=limit, cors=False, cache=False,
                      guard=authorise),
                Route("/submissions", list_all, cache=False), Route("/submissions/{id}", get_one, cache=False)]

    return factory


def _authorise(headers: Mapping[str, str], secret: str) -> None:
    """401 unless the request carries the token (compared in constant time); 403 if none is set.
    It runs before the body is read (see :attr:`citykg.web.Route.guard`)."""
    if not secret:
        raise HttpError(403, f"This server takes no submissions: start it with {TOKEN_ENV} set.")
    scheme, _, given = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), secret.encode()):
        why = ("the token sent is not the server's" if scheme.lower() == "bearer" and given.strip()
               else "send 'Authorization: Bearer TOKEN'")
        raise HttpError(401, f"POST /submissions needs the submission token: {why}.",
                        (("www-authenticate", 'Bearer realm="citykg"'),))


def _on_record(read: Callable[[], _T]) -> _T:
    """What ``read`` reads of the submissions on record; a record that cannot be read is the
    server's fault (500): its operator is told which in the request's access-log line (its
    ``error``), the client not where it lies."""
    try:
        return read()
    except InputError as exc:
        raise HttpError(500, "A submission record on this server cannot be read; its operator has "
                             "been told which.", detail=f"A submission record cannot be read: {exc}") from exc


def _unprocessable(message: str, sid: str | None, report: object) -> Response:
    response = json_response({"ok": False, "status": 422, "error": message, "id": sid, "report": report},
                             status=422)
    response.error = message
    return response
