"""Triage engine: text and answers in, an explainable Assessment out."""
