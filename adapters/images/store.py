"""Where rendered media live: content-addressed, so the same image is stored once and a redelivered
post refers to the very same URL. Local directory by default; served by the API under /media/."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol


class MediaStore(Protocol):
    def put(self, data: bytes, ext: str) -> str:
        """Store ``data``; return its public URL."""


class LocalMediaStore:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, name: str) -> Path:
        return self.root / name[:2] / name

    def put(self, data: bytes, ext: str) -> str:
        name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        path = self.path_of(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers never see half a file
        return f"{self.base_url}/{name}"
