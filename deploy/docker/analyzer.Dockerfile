# The analyzer: the OpenAI-compatible client; the provider is set with OPENAI_BASE_URL and OPENAI_API_KEY.
# Built from the repository root: docker build -f deploy/docker/analyzer.Dockerfile -t screener-analyzer .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md LICENSE ./
COPY screener ./screener
COPY services ./services
# The project itself, with the dependency ranges in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install ".[analyzer]"

FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin screener
COPY --from=build /opt/venv /opt/venv
# Everything the process writes goes to /tmp (an emptyDir in Kubernetes): the root filesystem can be read-only.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp TMPDIR=/tmp \
    GRPC_HOST=0.0.0.0 GRPC_PORT=50053 METRICS_PORT=9464
USER 10001
EXPOSE 50053 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "services.common.healthcheck"]
ENTRYPOINT ["python", "-m", "services.analyzer"]
