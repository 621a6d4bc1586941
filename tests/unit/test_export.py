"""Exported values are safe to open in a spreadsheet (services/export.py)."""

from __future__ import annotations

from services.export import csv_safe


def test_csv_safe() -> None:
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("@SUM") == "'@SUM" and csv_safe("-2") == "'-2"
    assert csv_safe("fine") == "fine" and csv_safe(3) == 3
