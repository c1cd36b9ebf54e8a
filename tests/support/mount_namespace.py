"""A private mount namespace for tests of disk faults: small tmpfs disks to fill up and
read-only bind mounts that no other process sees, and that vanish with the namespace.

``unshare --mount`` starts a holder process (``sleep``) in a new mount namespace (private
propagation: nothing mounted in it reaches the host); commands run in it through
``nsenter --target <holder> --mount``, and the test itself reaches its files through
``/proc/<holder>/root``. Closing kills the holder: once no process is left in the namespace,
its mounts and their contents are gone. Needs root (CI runs as root) and util-linux; without
them :class:`NamespaceUnavailable` says what is missing.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class NamespaceUnavailable(RuntimeError):
    """The mechanism is missing here (not root, no unshare/nsenter/mount, mounting refused)."""


class MountNamespace:
    """A mount namespace held open by a sleeping process (see the module docstring)."""

    def __init__(self, *, timeout: float = 30.0):
        missing = [tool for tool in ("unshare", "nsenter", "mount") if shutil.which(tool) is None]
        if missing:
            raise NamespaceUnavailable(f"not installed: {', '.join(missing)} (util-linux)")
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        own = os.readlink("/proc/self/ns/mnt")
        deadline = time.monotonic() + timeout
        while True:  # until unshare has made the namespace and exec'd sleep in it
            if self.holder.poll() is not None:
                raise NamespaceUnavailable(f"`unshare --mount` failed: {self.holder.stderr.read().decode().strip()}")
            try:
                ready = (
                    Path(f"/proc/{self.holder.pid}/comm").read_text().strip() == "sleep"
                    and os.readlink(f"/proc/{self.holder.pid}/ns/mnt") != own
                )
            except OSError:
                ready = False
            if ready:
                break
            if time.monotonic() > deadline:
                self.close()
                raise NamespaceUnavailable("`unshare --mount` did not start its process")
            time.sleep(0.02)

    @property
    def prefix(self) -> tuple[str, ...]:
        """What runs a command inside the namespace (then execs it: the pid stays the same)."""
        return ("nsenter", f"--target={self.holder.pid}", "--mount", f"--wd={REPO}", "--")

    def run(
        self, *command: str, timeout: float = 120, env: dict | None = None, check: bool = False
    ) -> subprocess.CompletedProcess:
        """Run ``command`` in the namespace; its output as text."""
        done = subprocess.run([*self.prefix, *command], capture_output=True, text=True, timeout=timeout, env=env)
        if check and done.returncode != 0:
            raise NamespaceUnavailable(
                f"`{' '.join(command)}` failed in the mount namespace: {(done.stderr or done.stdout).strip()}"
            )
        return done

    def path(self, path: str | Path) -> Path:
        """Where the test process finds ``path`` as the namespace sees it."""
        return Path(f"/proc/{self.holder.pid}/root") / Path(path).relative_to("/")

    def mount_tmpfs(self, directory: Path, size: str) -> None:
        """A new, empty tmpfs of ``size`` (``16m``) on ``directory``: a small disk."""
        self.run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory), check=True)
        if os.statvfs(self.path(directory)).f_fsid == os.statvfs(self.path(directory.parent)).f_fsid:
            raise NamespaceUnavailable(f"the tmpfs on {directory} is not seen through /proc/<pid>/root")

    def mount_read_only(self, directory: Path) -> None:
        """Make ``directory`` (and all below it) read-only: a read-only bind mount on itself."""
        self.run("mount", "--bind", str(directory), str(directory), check=True)
        self.run("mount", "-o", "remount,bind,ro", str(directory), check=True)
        try:
            self.path(directory / ".probe").touch()
        except OSError as error:
            if error.errno == errno.EROFS:
                return
            raise
        raise NamespaceUnavailable(f"{directory} is still writable after the read-only remount")

    def close(self) -> None:
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait(timeout=10)
        if self.holder.stderr is not None:
            self.holder.stderr.close()


def fill(path: Path) -> int:
    """Write ``path`` until its file system is full (ENOSPC, to the last byte); returns the
    bytes written. Deleting the file gives them back."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        size = 1 << 20
        while size:
            try:
                written += os.write(fd, b"\0" * size)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                size //= 4  # smaller and smaller, down to one byte: nothing is left after
    finally:
        os.close(fd)
    return written


def free_bytes(path: Path) -> int:
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize
