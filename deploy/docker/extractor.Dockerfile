# The extractor: PyMuPDF, python-docx and Tesseract (English and Spanish) for scans and photos.
# Built from the repository root: docker build -f deploy/docker/extractor.Dockerfile -t screener-extractor .
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
RUN pip install ".[extractor]"

FROM ${PYTHON_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin screener
COPY --from=build /opt/venv /opt/venv
# Everything the process writes goes to /tmp (an emptyDir in Kubernetes): the root filesystem can be read-only.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp TMPDIR=/tmp \
    GRPC_HOST=0.0.0.0 GRPC_PORT=50051 METRICS_PORT=9464
USER 10001
EXPOSE 50051 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "services.common.healthcheck"]
ENTRYPOINT ["python", "-m", "services.extractor"]
