"""Comparing two sides: per-quantity reports, the section 1 cases, any MATLAB/NumPy pair."""
