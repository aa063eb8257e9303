"""``python -m hsearch``: the same command line as the ``hsearch`` script."""

from hsearch.search.cli import run

if __name__ == "__main__":
    run()
