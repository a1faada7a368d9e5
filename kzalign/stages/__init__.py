"""Layer 4, stages: batch functions over the workspace (link, sentence pairs, review, report, evaluate,
glossary check) and the pipeline that runs them in order."""
