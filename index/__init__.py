"""hsearch build side: how Hindi news text becomes terms and vectors.

This package never imports :mod:`search` or the CLI; the query side reuses
its analyzer, encoders and stores.
"""
