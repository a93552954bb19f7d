"""Measurement of the pipeline's quality against labelled data (issue 6): ``briefing eval``."""
