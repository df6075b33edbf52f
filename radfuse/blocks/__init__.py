"""Feature tables made of blocks: ``<block>__<feature>`` columns.

A multimodal radiomics table has one row per case and one column per feature,
each column named ``<block>__<feature>`` where the block is a modality or a
feature family (``US``, ``MG_CC``, ``DCE``, ``cnn_DCE``, ...). The name is split
at the *first* ``"__"``, so ``DCE__original_glcm_Contrast`` belongs to block
``DCE`` and ``cnn_US__f0042`` to block ``cnn_US``. This is the same separator
scikit-learn's ``ColumnTransformer`` uses for its output names, which is what
lets :class:`BlockTransformer` keep block-prefixed names through a pipeline.

Helpers here list and select blocks, turn plain tables into blocks, join
per-block tables on the case id, load precomputed CNN embeddings, and apply
one transformer per block.
"""

from ._embeddings import load_embeddings
from ._naming import (
    SEPARATOR,
    as_block,
    block_columns,
    join_blocks,
    list_blocks,
    select_block,
)
from ._transformer import BlockTransformer

__all__ = [
    "SEPARATOR",
    "BlockTransformer",
    "as_block",
    "block_columns",
    "join_blocks",
    "list_blocks",
    "load_embeddings",
    "select_block",
]
