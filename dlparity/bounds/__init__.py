"""Rounding-error bounds: derived by hand for the section 1 blocks (:mod:`.hand`), tracked for any NumPy twin (:mod:`.tracked`)."""
