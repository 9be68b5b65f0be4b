"""Training on both sides: the runs, the CSV loader and synthetic set, the trajectory comparison."""
