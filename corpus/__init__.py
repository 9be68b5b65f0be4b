"""dlparity's coverage corpus: MATLAB routines and their NumPy twins, written as ports are written (corpus/README.md)."""
