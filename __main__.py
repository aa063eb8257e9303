"""``python -m hsearch``: the same command line as the ``hsearch`` script."""

from hsearch.search.cli import main

if __name__ == "__main__":
    main()
