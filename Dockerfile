# The image compose.yaml builds: the scheduler, the dashboard and the workers all run it.
#   docker build -t grapevine .
# CPU only: torch comes from PyTorch's CPU index (PyPI's Linux torch pulls a multi-GB CUDA
# build). A GPU worker needs an image with the CUDA build of the same torch instead.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 grapevine
WORKDIR /app

# The heavy, rarely changing layer first, so a code change does not reinstall torch.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY app.py ./
COPY core ./core
COPY config ./config
COPY storage ./storage
COPY collectors ./collectors
COPY nlp ./nlp
COPY scoring ./scoring
COPY grapevine ./grapevine
RUN pip install .

USER grapevine
WORKDIR /home/grapevine
EXPOSE 8501
# SIGTERM lets a worker finish its page and the scheduler stop cleanly (docs/scale.md).
STOPSIGNAL SIGTERM
CMD ["grapevine", "run"]
