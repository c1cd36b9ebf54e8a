"""The command line, ``zkg``."""
