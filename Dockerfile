# The Socializer image for the production topology (docker-compose.kafka.yml).
FROM python:3.11.10-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY domain domain
COPY commands commands
COPY streams streams
COPY projections projections
COPY adapters adapters
COPY socializer socializer
COPY sandbox sandbox
RUN pip install --no-cache-dir .
# The media volume is created from this directory: owned by the user the roles run as.
RUN mkdir -p /data/media && chown nobody /data/media
USER nobody
ENTRYPOINT ["socializer"]
