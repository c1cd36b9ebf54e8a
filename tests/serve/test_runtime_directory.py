"""The runtime directory of ``zkg serve --workers``: a server killed outright leaves its
directory behind; the next start removes the directories of servers that are gone and
keeps those of servers still running."""

from __future__ import annotations

import os
import subprocess
import sys

from zkg.serve.workers import _remove_orphans


def test_directories_of_dead_servers_are_removed_and_live_ones_kept(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has exited: its pid is not running now
    gone = tmp_path / f"zkg-serve-{dead}-abc123"
    alive = tmp_path / f"zkg-serve-{os.getppid()}-def456"
    other = tmp_path / "zkg-serve-notapid-x"
    for path in (gone, alive, other):
        path.mkdir()
        (path / "serve-engine.json").write_text("{}")
    _remove_orphans(tmp_path)
    assert not gone.exists()
    assert alive.exists() and other.exists()
