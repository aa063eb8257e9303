"""hsearch query side: searchers, fusion, evaluation and the CLI.  Imports :mod:`index`, never the reverse."""
