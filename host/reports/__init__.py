"""Words, figures and files for the coach: the report (text, JSON, HTML), its plots, exports."""
