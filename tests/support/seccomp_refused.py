"""Run a command on a "kernel" that refuses seccomp filters:
``python tests/support/seccomp_refused.py -- COMMAND [ARGUMENT…]``.

It installs a filter of its own that answers EINVAL to every later attempt to install one
(``prctl(PR_SET_SECCOMP, …)`` and ``seccomp()``), as a kernel built without seccomp filters
does, then execs COMMAND. So the tests see zkg meet the refusal from the kernel itself: the
engine's network filter is unavailable, ``zkg serve`` must say so, and the engine (inheriting
only this filter) can reach the network. Needs ``zkg`` importable (PYTHONPATH).
"""

from __future__ import annotations

import errno
import os
import platform
import sys

from zkg.store.engine_sandbox import (
    ALLOW,
    ARCHITECTURES,
    JUMP_IF_EQUAL,
    LOAD_WORD,
    PR_SET_SECCOMP,
    RETURN,
    argument_low,
    deny_call,
    fail_with,
    install,
    instruction,
    native_calls_only,
)


def refusing_filter() -> bytes:
    arch = ARCHITECTURES[platform.machine().lower()]
    refused = fail_with(errno.EINVAL)
    program = native_calls_only(arch)
    program += [  # prctl: PR_SET_SECCOMP refused, every other option allowed
        instruction(JUMP_IF_EQUAL, arch.calls["prctl"], jump_false=4),
        instruction(LOAD_WORD, argument_low(0)),
        instruction(JUMP_IF_EQUAL, PR_SET_SECCOMP, jump_false=1),
        instruction(RETURN, refused),
        instruction(RETURN, ALLOW),
    ]
    program += deny_call(arch.calls["seccomp"], refused)
    program.append(instruction(RETURN, ALLOW))
    return b"".join(program)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--"] or len(sys.argv) < 3:
        sys.exit("usage: python tests/support/seccomp_refused.py -- COMMAND [ARGUMENT…]")
    install(refusing_filter())
    os.execvp(sys.argv[2], sys.argv[2:])
