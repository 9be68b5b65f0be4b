"""Oracles that check the derivation itself: central finite differences and PyTorch autodiff, sharing no code with the port."""
