"""The sandbox: a local simulator of the five platforms' APIs (real request and response shapes,
errors, rate-limit headers, engagement that grows over time) with fault switches and an inspection
endpoint. The real adapters talk to it over HTTP; production points them at the real hosts."""
