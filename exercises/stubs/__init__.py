"""What you start from: one file per exercise, copied to your workspace by `python -m exercises start NAME`."""
