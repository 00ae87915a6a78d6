"""nutgraf's benchmarks, each run from the repository root as ``python -m benchmarks.NAME``.

BENCHMARKS.md gives the command behind every figure; ``--smoke`` runs a benchmark at a size
that finishes within a couple of minutes (``scripts/bench-smoke.sh`` runs them all so).
What they share is in :mod:`benchmarks.harness`.
"""
