# The gateway: REST/JWT API, the gRPC ScreeningService, Postgres (migrations run at start), and the
# recruiters' console at / (built here from console/ and its lockfile; served by the gateway itself).
# Built from the repository root: docker build -f deploy/docker/gateway.Dockerfile -t screener-gateway .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/index.html console/vite.config.ts console/tsconfig.json ./
COPY console/public ./public
COPY console/src ./src
RUN npm run build

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md LICENSE ./
COPY screener ./screener
COPY services ./services
# The project itself, with the dependency ranges in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install ".[gateway]"

FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin screener
COPY --from=build /opt/venv /opt/venv
COPY --from=console /console/dist /opt/console
# Everything the process writes goes to /tmp (an emptyDir in Kubernetes): the root filesystem can be read-only.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp TMPDIR=/tmp \
    GRPC_HOST=0.0.0.0 GRPC_PORT=50054 METRICS_PORT=9464 HTTP_HOST=0.0.0.0 HTTP_PORT=8080 \
    CONSOLE_DIR=/opt/console
USER 10001
EXPOSE 8080 50054 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "services.common.healthcheck"]
ENTRYPOINT ["python", "-m", "services.gateway"]
