"""Responses as the server sends and caches them: header lines, entity tags, conditional requests.

:func:`prepare` encodes a response's header lines and gives an answer that depends only on the
request and the build an ``ETag``; :func:`conditional` answers ``If-None-Match`` and
``If-Match`` as RFC 9110 (13.2.2) has it, with a 304 or a 412.

Example::

    >>> from citykg.web import Response
    >>> ok = prepare(Response(200, b"{}", cacheable=True))
    >>> conditional(ok, "GET", {"if-none-match": dict(ok.headers)[b"etag"].decode()}).status
    304
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from citykg.web import Response, error_response

__all__ = ["Prepared", "conditional", "prepare"]

# headers a 304 repeats from the 200 it stands for (RFC 9110, 15.4.5)
_NOT_MODIFIED_KEEPS = frozenset({b"etag", b"vary", b"cache-control", b"content-location"})
_CSP = (b"default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A response with its header lines encoded, as sent and as cached."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def prepare(response: Response) -> Prepared:
    """The response with its header lines; an answer that depends only on the request and the
    build gets an ``ETag`` (a digest of its media type and bytes), so a client can ask again with
    ``If-None-Match`` and be told 304: nothing changed."""
    content_type = response.content_type.encode("latin-1")
    out = [(b"content-type", content_type), (b"content-length", str(len(response.body)).encode()),
           (b"x-content-type-options", b"nosniff")]
    if response.cacheable and response.status == 200:  # (CSV and TSV of an ASK are the same bytes)
        digest = hashlib.blake2b(content_type + b"\n" + response.body, digest_size=12).hexdigest()
        out.append((b"etag", b'"%s"' % digest.encode()))
    if content_type.startswith(b"text/html"):
        out += [(b"content-security-policy", _CSP), (b"referrer-policy", b"no-referrer")]
    out += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    return Prepared(response.status, out, response.body)


def conditional(prepared: Prepared, method: str, headers: dict[str, str]) -> Prepared:
    """The answer to a conditional request (RFC 9110, 13.2.2): a 412 if ``If-Match`` names none of
    the answer's entity tags (compared strongly); if ``If-None-Match`` names it (weakly, or ``*``),
    a 304 to a GET or HEAD, whose client holds it already, else a 412; else ``prepared``.

    >>> ok = prepare(Response(200, b"{}", cacheable=True))
    >>> tag = dict(ok.headers)[b"etag"].decode()
    >>> [conditional(ok, "GET", {"if-none-match": sent}).status for sent in (f'"other", W/{tag}', '"other"')]
    [304, 200]
    >>> conditional(ok, "POST", {"if-none-match": "*"}).status, conditional(ok, "GET", {"if-match": '"x"'}).status
    (412, 412)
    >>> conditional(prepare(Response(200, b"{}")), "GET", {"if-none-match": "*"}).status  # no entity tag
    304
    """
    found = next((v for k, v in prepared.headers if k == b"etag"), None)
    tag = found.decode("latin-1") if found else None
    if "if-match" in headers:
        wanted = {t.strip() for t in headers["if-match"].split(",")}
        if "*" not in wanted and tag not in wanted:  # (* takes any answer; a tag, only the answer it names)
            return prepare(error_response(412, "If-Match names none of this answer's entity tags: the answer has "
                                                "changed, or has none. Ask again without If-Match."))
    sent = {t.strip().removeprefix("W/") for t in headers.get("if-none-match", "").split(",")}
    if "if-none-match" not in headers or ("*" not in sent and (tag is None or tag not in sent)):
        return prepared  # (* matches any answer, with an entity tag or none)
    if method not in ("GET", "HEAD"):
        named = "is *, which any answer matches" if "*" in sent else "names this answer's entity tag"
        return prepare(error_response(412, f"If-None-Match {named}; only a GET or HEAD is answered 304 for "
                                            "it. Ask again without If-None-Match."))
    return Prepared(304, [(k, v) for k, v in prepared.headers if k in _NOT_MODIFIED_KEEPS], b"")
