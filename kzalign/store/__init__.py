"""Layer 1, the store: the one-file SQLite workspace and all of kzalign's SQL (see :mod:`.workspace`)."""

from kzalign.store.workspace import (
    DEFAULT_DB,
    DEFAULT_LINK_KIND,
    LINK_FIELDS,
    LINK_KINDS,
    PAIR_FIELDS,
    SCHEMA_VERSION,
    Workspace,
    WorkspaceBusyError,
    check_link_kind,
    link_key,
    new_or_existing_workspace,
    now_iso,
    open_workspace,
)

__all__ = ["DEFAULT_DB", "DEFAULT_LINK_KIND", "LINK_FIELDS", "LINK_KINDS", "PAIR_FIELDS", "SCHEMA_VERSION", "Workspace",
           "WorkspaceBusyError", "check_link_kind", "link_key", "new_or_existing_workspace", "now_iso",
           "open_workspace"]
