"""Report: the one-command pipeline, tables, maps, charts and the HTML report."""
