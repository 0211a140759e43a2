"""The reference solutions, shown only with `python -m exercises NAME --solution`."""
