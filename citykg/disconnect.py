"""A client that goes away: how ``citykg serve`` notices it, and stops the work done for it.

The application (:mod:`citykg.app`) gives each request a coroutine function,
:attr:`citykg.web.Request.disconnected`, that returns once the client has closed its connection
(:func:`until_disconnected`, from ASGI's ``http.disconnect``). While a query waits for a worker
or runs in one, the pool (:mod:`citykg.pool`) awaits it beside the answer; if the client goes
first, the job leaves the queue, or is skipped by its worker if it has not started, or has its
worker killed and replaced if it runs, and :class:`ClientGone` goes up to the application, which
sends nothing and writes the request to the access log with :data:`STATUS` (499, as nginx logs a
client that closed its request).

Example::

    >>> import asyncio
    >>> async def closed() -> dict[str, str]:
    ...     return {"type": "http.disconnect"}
    >>> asyncio.run(until_disconnected(closed))
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["STATUS", "ClientGone", "until_disconnected"]

#: The status the access log gives a request whose client went away before its answer.
STATUS = 499


class ClientGone(Exception):
    """The client went away before its answer: nothing is sent, and any query run for it stopped."""


async def until_disconnected(receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Return once ASGI's ``receive`` says the client has disconnected. Call it only once the
    request's body has been read: ``receive`` then waits until the client goes. A server that
    sends something else instead is not watched further (this waits until it is cancelled)."""
    if (await receive())["type"] != "http.disconnect":
        await asyncio.get_running_loop().create_future()
