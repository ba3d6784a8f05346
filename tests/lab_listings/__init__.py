"""The labs' own listings, transcribed as fixtures: the pipeline's as-listed runs are tested
against them."""
