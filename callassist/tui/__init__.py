"""The terminal app (Textual): the only part of callassist that imports Textual."""
