"""The foundation: errors, settings, bounded caches and deadlines. Imports nothing of zkg."""
