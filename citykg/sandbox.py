"""Take away a process's network: the guarantee behind "no request leaves the server".

``citykg serve`` refuses queries that call a ``SERVICE`` (:func:`citykg.sparqltext.check_query`),
but that check reads the query's text, and pyoxigraph follows any SERVICE it parses. So each
query worker also gives up the network when it starts: :func:`deny_network` installs a seccomp
filter under which ``socket()`` fails with ``EACCES`` for every address family but ``AF_UNIX``.
The worker needs no socket (it talks to the server over pipes), and a SERVICE that slipped past
the check fails inside pyoxigraph with :class:`PermissionError` before anything is sent, name
lookups included. The filter binds the process and every thread it starts, for good.

Linux on x86-64 or AArch64 only; elsewhere :func:`deny_network` changes nothing and says so.

Example (in a throwaway process, since it cannot be undone)::

    >>> import subprocess, sys
    >>> code = ("import socket; from citykg.sandbox import deny_network; print(deny_network()); "
    ...         "socket.socket(socket.AF_INET)")
    >>> done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    >>> done.stdout, "PermissionError" in done.stderr
    ('True\\n', True)
"""

from __future__ import annotations

import ctypes
import errno
import platform
import sys

__all__ = ["deny_network"]

# (audit architecture, number of the socket syscall), from <linux/audit.h> and the syscall tables.
_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_LOAD, _JUMP_IF_EQUAL, _RETURN = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
_AF_UNIX = 1


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def deny_network() -> bool:
    """Make every later ``socket()`` call of this process, but for ``AF_UNIX``, fail with EACCES.

    :returns: ``True`` if the filter is in place, ``False`` where it cannot be (not Linux, another
        architecture, or a kernel that refuses it); the process is then unchanged.
    """
    arch = _ARCHES.get(platform.machine())
    if not sys.platform.startswith("linux") or arch is None:
        return False
    audit_arch, socket_call = arch
    # struct seccomp_data: int nr at offset 0, u32 arch at 4, u64 args[6] from 16 (little-endian).
    program = [
        _Instruction(_LOAD, 0, 0, 4),                          # 0: A = arch
        _Instruction(_JUMP_IF_EQUAL, 0, 5, audit_arch),        # 1: another ABI: allow (7)
        _Instruction(_LOAD, 0, 0, 0),                          # 2: A = syscall number
        _Instruction(_JUMP_IF_EQUAL, 0, 3, socket_call),       # 3: not socket(): allow (7)
        _Instruction(_LOAD, 0, 0, 16),                         # 4: A = its address family
        _Instruction(_JUMP_IF_EQUAL, 1, 0, _AF_UNIX),          # 5: AF_UNIX: allow (7)
        _Instruction(_RETURN, 0, 0, _ERRNO | errno.EACCES),    # 6: any other family: EACCES
        _Instruction(_RETURN, 0, 0, _ALLOW),                   # 7
    ]
    instructions = (_Instruction * len(program))(*program)
    filter_program = _Program(len(program), instructions)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(filter_program), 0, 0) == 0)
    except (OSError, AttributeError):
        return False
