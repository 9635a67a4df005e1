"""Video I/O: running the compiled ffmpeg commands (blocking: in a worker process, never on the
event loop), and probing what they made against a preset's rules."""
