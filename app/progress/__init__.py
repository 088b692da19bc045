"""Learning progress: playback progress and completion, progress events, self-check tests,
per-course and dashboard overviews, and the correspondence retention purge.
R-PRG-1, R-PRG-2, R-PRG-3, R-PRG-5, R-PRG-6.

Routers: `router` (members), `admin_router` (staff test authoring). `api_router` combines them
for `app/api.py`.
"""
