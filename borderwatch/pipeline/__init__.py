"""The whole pipeline, ``borderwatch run CONFIG``: run config, stage ledger, stages, demo."""
