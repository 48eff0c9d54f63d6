"""How a request to ``citykg serve`` is encoded: what the server reads, and the error for the rest.

A path is percent-encoded UTF-8 (:func:`check_path`); a body comes as it is or chunked, not
compressed, in UTF-8 (:func:`check_transfer`, :func:`plain_utf8`). Each refusal says what to
send instead.

Example::

    >>> plain_utf8("", "application/sparql-query; charset=UTF-8")
    >>> check_transfer("chunked")
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from citykg.errors import cut, quoted
from citykg.web import NOT_UTF8, HttpError

__all__ = ["check_path", "check_transfer", "plain_utf8"]

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def check_path(raw_path: bytes) -> None:
    """Refuse a request path that is no percent-encoded UTF-8, rather than read it as a mangled name.

    :raises HttpError: 400 for a ``%`` that starts no escape (``/id/%``) or escapes that are not UTF-8.

    >>> check_path(b"/id/study/mashhad-oic/factor/W%33")
    >>> check_path(b"/id/a%ZZ")
    Traceback (most recent call last):
    ...
    citykg.web.HttpError: The path has a '%' that starts no escape (%XX): write a percent sign as %25.
    """
    if b"%" in raw_path:
        if _BAD_ESCAPE.search(raw_path):
            raise HttpError(400, "The path has a '%' that starts no escape (%XX): write a percent sign as %25.")
        try:
            unquote_to_bytes(raw_path).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HttpError(400, NOT_UTF8.format(where="path")) from exc


def check_transfer(coding: str) -> None:
    """Refuse a body sent in a transfer coding other than ``chunked`` (RFC 9112, 6.1: 501).

    :raises HttpError: 501, naming the coding.

    >>> check_transfer("gzip, chunked")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.web.HttpError: citykg reads a request body as it is or chunked, not in the transfer coding 'gzip'; ...
    """
    for part in coding.split(","):
        name = part.split(";")[0].strip().lower()
        if name not in ("", "chunked", "identity"):
            raise HttpError(501, f"citykg reads a request body as it is or chunked, not in the transfer coding "
                                 f"{quoted(name, 40)}; send it uncompressed.")


_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]*)", re.IGNORECASE)


def plain_utf8(encoding: str, content_type: str) -> None:
    """Refuse a request body that is compressed or declared in another character set than UTF-8.

    :raises HttpError: 415, saying what to send instead.
    """
    if encoding.strip().lower() not in ("", "identity"):
        raise HttpError(415, f"citykg reads request bodies as sent, not compressed (Content-Encoding: "
                             f"{cut(encoding.strip())}); send the body without Content-Encoding.")
    charset = _CHARSET.search(content_type)
    if charset and charset[1].lower() not in ("utf-8", "utf8", "us-ascii"):  # (ASCII is UTF-8 too)
        raise HttpError(415, f"citykg reads request bodies in UTF-8, not {quoted(charset[1])}; send UTF-8 "
                             "(charset=utf-8, or no charset).")
