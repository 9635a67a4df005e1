"""Composition root: settings, the CLI, the embedded dev stack and the HTTP API wiring."""
