"""Statistics for analysts: aggregates from rollup tables, with small-cell suppression.

Nothing case-level ever leaves this package: the rollups hold counts per day, the queries
read only the rollups, and every published table goes through :mod:`hotline.stats.disclosure`.
"""
