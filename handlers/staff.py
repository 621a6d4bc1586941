"""The staff-only gate, for the surfaces that still ask it themselves (the gate is services/staff.py)."""

from __future__ import annotations

from services.staff import not_staff
from ui.messages import WHO_ARE_YOU_UNKNOWN

__all__ = ["WHO_ARE_YOU_UNKNOWN", "not_staff"]
