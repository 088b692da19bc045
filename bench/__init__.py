"""Load benchmark: a seeded dataset, the real app and a bare FastAPI + asyncpg ceiling, measured
with wrk in the same run and printed as ratios (`make bench`; see bench/run.py)."""
