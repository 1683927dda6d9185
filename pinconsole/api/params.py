"""Parameter types the routes share, bounded by what the database holds.

A number past what a column holds never reaches the database: SQLite refuses integers past
2**63 with an OverflowError (a 500) and PostgreSQL compares them with int4 ids.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_OFFSET = 1_000_000_000
MAX_ID = 2**31 - 1  # id columns are INTEGER (int4 on PostgreSQL)

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
