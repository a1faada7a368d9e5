"""Layer 1, the store: the one-file SQLite workspace and all of kzalign's SQL (see :mod:`.workspace`)."""

from kzalign.store.workspace import (
    DEFAULT_DB,
    LINK_FIELDS,
    PAIR_FIELDS,
    SCHEMA_VERSION,
    Workspace,
    WorkspaceBusyError,
    link_key,
    new_or_existing_workspace,
    now_iso,
    open_workspace,
)

__all__ = ["DEFAULT_DB", "LINK_FIELDS", "PAIR_FIELDS", "SCHEMA_VERSION", "Workspace", "WorkspaceBusyError",
           "link_key", "new_or_existing_workspace", "now_iso", "open_workspace"]
