# syntax=docker/dockerfile:1
#
# Manabi API image: multi-stage, slim, non-root. The same image runs every process:
#
#   API (default):  docker run -p 8000:8000 -e DATABASE_URL=postgresql+asyncpg://… \
#                     -e MANABI_SECRET_KEY=… -e MANABI_SIGNING_KEY=… IMAGE
#   migrations:     docker run --rm -e DATABASE_URL=… IMAGE alembic upgrade heads
#                   (run once per deploy, before the new API/worker containers start; "heads"
#                   also covers parallel branches — with one branch it is the same as "head")
#   worker:         docker run -e DATABASE_URL=… … IMAGE python -m app.worker
#                   (as many as needed, on as many machines as needed; PostgreSQL coordinates them)
#
# Settings come from the environment (MANABI_*, DATABASE_URL; see app/config.py). With
# MANABI_ENVIRONMENT=production the app refuses to start on development secrets.
#
# Several uvicorn workers (WEB_CONCURRENCY) are separate processes: for /metrics to add them up,
# set PROMETHEUS_MULTIPROC_DIR to an empty writable directory (e.g. a tmpfs mount) — see
# app/ops/metrics.py. Without it each scrape sees one worker's counters.

ARG PYTHON_VERSION=3.11

# --- builder: install the package and its dependencies into /opt/venv -------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, from pyproject.toml alone (with a stub package), so that a code change
# does not reinstall them: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN mkdir app && touch app/__init__.py \
    && pip install --upgrade pip \
    && pip install . \
    && pip uninstall --yes manabi

# Then the code itself (a regular, non-editable install into site-packages).
COPY app ./app
RUN pip install --no-deps .

# --- runtime: the venv, the migrations, nothing else -------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

# IPAex Gothic: a Japanese font that PDFs (certificates, receipts) embed.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends fonts-ipaexfont-gothic \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 manabi \
    && useradd --system --uid 10001 --gid manabi --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin manabi

# FORWARDED_ALLOW_IPS: the proxies uvicorn believes (--proxy-headers below). It takes the client
# address from X-Forwarded-For, walking from the right past these proxies — so it must list the
# load balancer's networks, here the private ranges a balancer in the same VPC/cluster uses.
# Never "*": uvicorn then takes the *leftmost* entry, which the client writes itself, and anyone
# could choose the IP that login rate limits and audit records see. With uvicorn doing this,
# keep MANABI_TRUST_FORWARDED_FOR=false (the app then reads the already-corrected client address).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MANABI_ENVIRONMENT=production \
    MANABI_TEST_CLOCK_ENABLED=false \
    WEB_CONCURRENCY=2 \
    FORWARDED_ALLOW_IPS="127.0.0.1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# alembic reads alembic.ini and migrations/ from the working directory; the app is in the venv.
COPY alembic.ini ./
COPY migrations ./migrations

USER manabi:manabi
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Shell form for ${WEB_CONCURRENCY}; `exec` makes uvicorn PID 1 so it receives SIGTERM and
# shuts down gracefully. The app writes its own JSON access log, so uvicorn's is off.
CMD exec uvicorn app.main:create_app --factory \
    --host 0.0.0.0 --port 8000 \
    --workers ${WEB_CONCURRENCY:-2} \
    --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS}" \
    --no-access-log
