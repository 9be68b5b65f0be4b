"""What a test needs from outside the repository, and what happens when it is missing (not a test module).

The upstream house data (``DLPARITY_DATA_DIR``) and the derivation document (``DLPARITY_SPEC``)
are not part of this repository. Locally a test that needs one skips, saying what is missing and
how to supply it. In CI (``CI=true``, set by ``.ci/run``) the same absence is a failure with one
sentence, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

#: Where the document lives beside a development checkout (../shared); DLPARITY_SPEC points elsewhere.
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared/seed/000_448bc44601b0e5f7.txt"
HOUSE_FILES = ("train_house.csv", "test_house.csv")


def in_ci() -> bool:
    """True under CI (``CI=true``, as .ci/run and most CI services set it)."""
    return os.environ.get("CI", "").lower() in ("true", "1")


def missing(sentence: str) -> NoReturn:
    """Fail with ``sentence`` in CI, skip with it elsewhere."""
    if in_ci():
        pytest.fail(f"CI=true: {sentence}", pytrace=False)
    pytest.skip(sentence)


def require_house_data() -> Path:
    """The folder holding the upstream ``train_house.csv`` and ``test_house.csv`` (``DLPARITY_DATA_DIR``)."""
    folder = os.environ.get("DLPARITY_DATA_DIR")
    if not folder:
        missing("DLPARITY_DATA_DIR is not set, so the upstream house data (train_house.csv, test_house.csv) "
                "cannot be found; set it to the folder holding them.")
    absent = [name for name in HOUSE_FILES if not (Path(folder) / name).is_file()]
    if absent:
        missing(f"DLPARITY_DATA_DIR={folder} lacks {' and '.join(absent)}; set it to the folder holding the upstream "
                "house data.")
    return Path(folder)


def require_spec() -> Path:
    """The derivation document: ``DLPARITY_SPEC``, else ../shared/seed/000_448bc44601b0e5f7.txt beside the checkout."""
    spec = Path(os.environ.get("DLPARITY_SPEC") or DEFAULT_SPEC)
    if not spec.is_file():
        missing(f"the derivation document is not at {spec}; set DLPARITY_SPEC to its path.")
    return spec
