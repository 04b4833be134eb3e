"""Bounding what a mention keeps of its source's payload.

A mention's ``raw`` keeps the original record for researchers and re-parsing, but one
runaway record (a 5 MB post, a field of base64) must not bloat the store: beyond
``[collect] max_raw_kb`` the payload keeps its small fields whole, long strings cut and
large nested values dropped, and says so under :data:`TRUNCATED`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["TRUNCATED", "cap_raw"]

#: The key a cut payload carries: the original size and what was cut or dropped.
TRUNCATED = "_grapevine_truncated"


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def cap_raw(raw: Mapping[str, Any], limit: int) -> tuple[dict[str, Any], bool]:
    """``raw`` within ``limit`` bytes of JSON, and whether anything was cut."""
    size = _size(raw)
    if size <= limit:
        return dict(raw), False
    kept: dict[str, Any] = {}
    cut: list[str] = []
    dropped: list[str] = []
    budget = limit - 200  # room for the flag itself
    # Small fields first, so identifiers, dates and counts survive a huge body.
    for key, value in sorted(raw.items(), key=lambda kv: _size(kv[1])):
        cost = _size(value) + len(str(key)) + 6
        if cost <= budget:
            kept[key] = value
            budget -= cost
        elif isinstance(value, str) and budget > 64:
            room = budget - len(str(key)) - 8
            text = value.encode("utf-8")[: max(0, room // 2)].decode("utf-8", errors="ignore")
            kept[key] = text
            budget -= _size(text) + len(str(key)) + 6
            cut.append(str(key))
        else:
            dropped.append(str(key))
    ordered = {key: kept[key] for key in raw if key in kept}
    ordered[TRUNCATED] = {"original_bytes": size, "cut": cut, "dropped": dropped}
    return ordered, True
