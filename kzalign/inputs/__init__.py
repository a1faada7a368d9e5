"""Layer 2, inputs: files -> items (readers by format, the seed digest format, dates, language id,
near-duplicate planning) and the ingest stage that writes items into the workspace."""
