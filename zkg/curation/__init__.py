"""Writes: changesets, the change log, applying and reverting, history, update translation, tokens and replay."""
