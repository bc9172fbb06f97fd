"""Synthetic-borough generator of Lantern: monthly extracts, reference data and planted truth.

Public API: :func:`generate_borough`, :class:`GeneratorConfig`, :class:`BoroughSummary` and
:func:`inject_defects`. See ``/work/shared/spec/extracts.md`` for the file contract.
"""

from __future__ import annotations

from synthetic.config import BoroughSummary, GeneratorConfig, NoiseRates
from synthetic.defects import inject_defects
from synthetic.generator import generate_borough

__all__ = ["BoroughSummary", "GeneratorConfig", "NoiseRates", "generate_borough", "inject_defects"]
