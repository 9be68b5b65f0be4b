"""The ``dlparity`` command line."""
