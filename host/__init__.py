"""archcue host tool: the coach's side (pull, store, analysis, report)."""
