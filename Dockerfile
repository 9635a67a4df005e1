# The Socializer image for the production topology (docker-compose.kafka.yml).
FROM python:3.11.10-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY commands commands
COPY streams streams
COPY projections projections
COPY adapters adapters
COPY socializer socializer
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["socializer"]
