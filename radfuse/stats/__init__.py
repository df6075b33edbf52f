"""Model-comparison statistics of radiomics studies, matched to reference software.

Plain functions taking arrays and returning small frozen result objects
(readable repr, ``.to_frame()``), or tidy DataFrames for tables.
"""

from .agreement import icc

__all__ = ["icc"]
