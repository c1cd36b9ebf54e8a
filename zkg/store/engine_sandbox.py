"""The engine has no network: a seccomp filter, installed before the engine program starts,
that denies it every outbound connection.

Why: ``oxigraph serve`` has an HTTP client. ``SERVICE <http://…>`` in a query, or ``LOAD
<http://…>`` in an update, sent to the engine's port makes it connect wherever the IRI says.
zkg's query guard (:mod:`zkg.sparql.guard`) refuses both before they reach the engine; this is
the second wall, for whatever gets past the guard or reaches the engine's loopback port
another way.

Why seccomp: zkg's workers reach the engine over TCP on loopback, so a network namespace
(no network at all) would cut them off too; Landlock's network rules cover TCP only, not the
UDP of a DNS lookup. A seccomp filter works per system call, whatever the address family:

- ``connect`` is denied (EPERM) for every family: TCP, UDP (a DNS lookup connects its UDP
  socket first), Unix sockets (the name service cache daemon);
- ``sendto`` with a destination address is denied (unconnected UDP, TCP Fast Open); without
  one (an accepted connection, the way the engine answers) it is allowed; ``sendmsg`` and
  ``sendmmsg``, whose destination lies in memory the filter cannot read, are denied whole
  (traced under load, the engine answers with ``sendto`` only; its tests pass without them);
- ``socket`` is allowed for TCP over IPv4 and IPv6 only (the engine's own listening socket):
  no UDP, raw, packet or netlink sockets;
- ``io_uring_setup``/``_enter``/``_register`` are denied: io_uring's operations (connect
  included) do not pass through seccomp;
- a system call of another architecture's table (x86's 32-bit or x32 calls on x86_64) kills
  the process, as its numbers would slip past the checks above.

``bind``, ``listen``, ``accept`` and ``recv``/``send`` on accepted connections stay allowed,
so the engine serves as before. The filter is kept by the program the launcher execs and by
every thread and child of it, and cannot be removed (``no_new_privs`` is set too).

The launcher: ``python -m zkg.store.engine_sandbox -- PROGRAM ARGS…`` installs the filter in a fresh
process, then execs the program (the same pid). zkg starts it as a script
(:func:`sandboxed_command`, isolated from site-packages and PYTHON* settings), so it needs no
import of zkg and nothing runs between fork and exec in zkg's threaded process. It fails
closed: if the filter cannot be installed it says why on stderr and starts nothing.

Where it is unavailable (:func:`unavailable_reason`: not Linux, a processor other than x86_64
and aarch64, a kernel without seccomp filters) zkg starts the engine as it is and says so at
start: only the query guard then stands between clients and outbound requests.

Stdlib only, on purpose: this file runs as a script.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys
from typing import Callable

# -- the classic BPF that seccomp runs (linux/filter.h, linux/seccomp.h) ----------------------------

LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at an offset of seccomp_data
JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
AND = 0x54  # BPF_ALU | BPF_AND | BPF_K
RETURN = 0x06  # BPF_RET | BPF_K

KILL_PROCESS = 0x80000000  # SECCOMP_RET_KILL_PROCESS
ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
ERRNO = 0x00050000  # SECCOMP_RET_ERRNO | errno


def fail_with(number: int) -> int:
    """The filter's answer "the call fails with errno ``number``"."""
    return ERRNO | number


#: Offsets in struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
NR_OFFSET, ARCH_OFFSET, ARGS_OFFSET = 0, 4, 16


def argument_low(index: int) -> int:
    """Offset of the low 32 bits of system call argument ``index`` (little-endian only)."""
    return ARGS_OFFSET + 8 * index


def argument_high(index: int) -> int:
    return ARGS_OFFSET + 8 * index + 4


def instruction(code: int, k: int = 0, jump_true: int = 0, jump_false: int = 0) -> bytes:
    """One struct sock_filter: u16 code, u8 jt, u8 jf, u32 k (jumps skip that many)."""
    return struct.pack("=HBBI", code, jump_true, jump_false, k)


class Architecture:
    """What the filter needs of one system call table."""

    def __init__(self, name: str, audit_arch: int, calls: dict[str, int], *, foreign_bit: int = 0):
        self.name = name
        self.audit_arch = audit_arch  # AUDIT_ARCH_*: seccomp_data.arch of this table's calls
        self.calls = calls
        self.foreign_bit = foreign_bit  # numbers at or past it belong to another ABI (x32)


#: x86_64 (asm/unistd_64.h) and aarch64 (asm-generic/unistd.h); io_uring's numbers are shared.
ARCHITECTURES = {
    "x86_64": Architecture(
        "x86_64",
        0xC000003E,
        {
            "socket": 41,
            "connect": 42,
            "sendto": 44,
            "sendmsg": 46,
            "sendmmsg": 307,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "prctl": 157,
            "seccomp": 317,
        },
        foreign_bit=0x40000000,
    ),
    "aarch64": Architecture(
        "aarch64",
        0xC00000B7,
        {
            "socket": 198,
            "connect": 203,
            "sendto": 206,
            "sendmsg": 211,
            "sendmmsg": 269,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "prctl": 167,
            "seccomp": 277,
        },
    ),
}
ARCHITECTURES["amd64"] = ARCHITECTURES["x86_64"]
ARCHITECTURES["arm64"] = ARCHITECTURES["aarch64"]

DENIED_WHOLE = ("connect", "sendmsg", "sendmmsg", "io_uring_setup", "io_uring_enter", "io_uring_register")
AF_INET, AF_INET6, SOCK_STREAM, SOCK_TYPE_MASK = 2, 10, 1, 0xF


def native_calls_only(arch: Architecture) -> list[bytes]:
    """Kill a call of another table; leave the call's number in A."""
    program = [
        instruction(LOAD_WORD, ARCH_OFFSET),
        instruction(JUMP_IF_EQUAL, arch.audit_arch, jump_true=1),
        instruction(RETURN, KILL_PROCESS),
        instruction(LOAD_WORD, NR_OFFSET),
    ]
    if arch.foreign_bit:
        program += [instruction(JUMP_IF_AT_LEAST, arch.foreign_bit, jump_false=1), instruction(RETURN, KILL_PROCESS)]
    return program


def deny_call(number: int, answer: int) -> list[bytes]:
    """With the call's number in A: answer ``answer`` to call ``number``, go on for others."""
    return [instruction(JUMP_IF_EQUAL, number, jump_false=1), instruction(RETURN, answer)]


def network_filter(arch: Architecture) -> bytes:
    """The engine's filter (see the module docstring), as a sock_filter array."""
    denied = fail_with(errno.EPERM)
    program = native_calls_only(arch)
    for name in DENIED_WHOLE:
        program += deny_call(arch.calls[name], denied)
    program += [  # sendto: allowed without a destination address (argument 4 is NULL)
        instruction(JUMP_IF_EQUAL, arch.calls["sendto"], jump_false=6),
        instruction(LOAD_WORD, argument_low(4)),
        instruction(JUMP_IF_EQUAL, 0, jump_false=2),
        instruction(LOAD_WORD, argument_high(4)),
        instruction(JUMP_IF_EQUAL, 0, jump_true=1),
        instruction(RETURN, denied),
        instruction(RETURN, ALLOW),
    ]
    program += [  # socket: TCP over IPv4 or IPv6 only (int arguments: their low 32 bits)
        instruction(JUMP_IF_EQUAL, arch.calls["socket"], jump_false=8),
        instruction(LOAD_WORD, argument_low(0)),
        instruction(JUMP_IF_EQUAL, AF_INET, jump_true=1),
        instruction(JUMP_IF_EQUAL, AF_INET6, jump_false=3),
        instruction(LOAD_WORD, argument_low(1)),
        instruction(AND, SOCK_TYPE_MASK),  # without SOCK_NONBLOCK / SOCK_CLOEXEC
        instruction(JUMP_IF_EQUAL, SOCK_STREAM, jump_true=1),
        instruction(RETURN, denied),
        instruction(RETURN, ALLOW),
    ]
    program.append(instruction(RETURN, ALLOW))
    return b"".join(program)


# -- installing it ---------------------------------------------------------------------------------

PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS, SECCOMP_MODE_FILTER = 22, 38, 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _prctl() -> Callable[[int, int, int, int, int], int]:
    libc = ctypes.CDLL(None, use_errno=True)
    function = libc.prctl
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function


def install(program: bytes) -> None:
    """Install ``program`` (sock_filter array) on this process for good; OSError if refused."""
    prctl = _prctl()
    if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(number)}")
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl(PR_SET_SECCOMP): {os.strerror(number)}")


def unavailable_reason(system: str | None = None, machine: str | None = None) -> str | None:
    """Why the engine cannot be sandboxed here, or None when it can. ``system`` and
    ``machine`` default to this host's (``platform.system()``, ``platform.machine()``); the
    kernel is asked only for this host."""
    asked_here = system is None and machine is None
    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    if system != "Linux":
        return f"seccomp filters are Linux-only, and this system is {system or 'unknown'}"
    if machine.lower() not in ARCHITECTURES:
        return f"zkg knows the system calls of x86_64 and aarch64 only, and this processor is {machine or 'unknown'}"
    if not asked_here:
        return None
    # A filter at address 0: a kernel with seccomp filters fails to read it (EFAULT) and
    # installs nothing; one without them (or a container that forbids them) refuses first.
    try:
        prctl = _prctl()
    except (OSError, AttributeError) as error:
        return f"prctl is not reachable: {error}"
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) == 0:  # cannot happen: nothing to install
        return "the kernel accepted an empty seccomp filter"
    number = ctypes.get_errno()
    if number == errno.EFAULT:
        return None
    return f"the kernel refuses seccomp filters ({os.strerror(number)})"


def sandboxed_command(command: list[str]) -> list[str]:
    """``command`` run through the launcher: the filter first, then ``command`` (exec'd)."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), "--", *command]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--":
        print("usage: python -m zkg.store.engine_sandbox -- PROGRAM [ARGUMENT…]", file=sys.stderr)
        return 2
    command = argv[1:]
    reason = unavailable_reason()
    try:
        if reason is not None:
            raise OSError(errno.ENOSYS, reason)
        install(network_filter(ARCHITECTURES[platform.machine().lower()]))
    except OSError as error:  # fail closed: the engine does not start without its filter
        print(f"Error: cannot sandbox {command[0]}: {error.strerror or error}", file=sys.stderr)
        return 1
    try:
        os.execvp(command[0], command)
    except OSError as error:
        print(f"Error: cannot run {command[0]}: {error.strerror or error}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
