#!/usr/bin/env bash
# Set up everything dlparity needs on Debian/Ubuntu: GNU Octave and Chromium (from the distribution, when
# missing), a virtual environment in .venv, and the package with its test extras.
# Safe to run again: what is already there is left alone.
#
#   DLPARITY_VENV=path   where the virtual environment goes (default .venv)
#   DLPARITY_ORACLE=1    also install the second autodiff oracle (PyTorch CPU, torch==2.13.0, 47 s and 895 MB
#                        here); the default one, HIPS autograd (4 s, 0.7 MB), is a dependency and always installed
#   PYTHON=python3.x     the interpreter to build the environment from (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DLPARITY_VENV:-.venv}
python=${PYTHON:-python3}
say() { printf 'dlparity setup: %s\n' "$*" >&2; }
pip() {  # quiet pip; drops the noise of index folders a machine's pip.conf may name but lack
  "$venv/bin/python" -m pip -q "$@" 2> >(grep -v '^WARNING: Location .* is ignored' >&2)
}

apt_install() {  # install Debian packages as root, with sudo, or say exactly what to run
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      say "need $*, but this is not root and sudo is missing; run as root: apt-get install -y --no-install-recommends $*"
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "need $*, but apt-get is missing (not Debian/Ubuntu); install GNU Octave with your package manager"
    return 1
  fi
  say "installing $* from the distribution"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. GNU Octave, and OpenBLAS so Octave's matrix products use all cores (a 100-epoch run: 15 s -> 5 s)
wanted=()
command -v octave-cli >/dev/null 2>&1 || command -v octave >/dev/null 2>&1 || wanted+=(octave)
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  if [ ${#wanted[@]} -gt 0 ] || [ "$(id -u)" = 0 ]; then
    wanted+=(libopenblas0-pthread)
  else
    say "optional: 'sudo apt-get install -y libopenblas0-pthread' makes Octave's matrix products faster"
  fi
fi
# Debian's chromium: the HTML report's tests render it in this browser (Playwright drives it; its own browser
# download is never used)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then
    wanted+=(chromium)
  else
    say "optional: 'apt-get install -y --no-install-recommends chromium' as root; without it the HTML report's browser tests skip"
  fi
fi
if [ ${#wanted[@]} -gt 0 ]; then apt_install "${wanted[@]}"; fi

# 2. The virtual environment
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    apt_install python3-venv
    "$python" -m venv "$venv"
  fi
  say "created $venv"
fi

# 3. The package (editable) with its extras; skipped when pyproject.toml has not changed since
#    (the import check runs from / so that this checkout's folder cannot stand in for the install)
extras="test,plot"
if [ "${DLPARITY_ORACLE:-0}" = 1 ]; then extras="$extras,oracle"; fi
stamp="$venv/.dlparity-installed"
want="$(sha256sum pyproject.toml | cut -c1-16) $extras"
venv_python="$(readlink -f "$venv")/bin/python"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! (cd / && "$venv_python" -c "import dlparity") 2>/dev/null; then
  say "installing dlparity[$extras] into $venv"
  pip install --upgrade pip >/dev/null 2>&1 || true
  if [ "${DLPARITY_ORACLE:-0}" = 1 ]; then
    # pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is the CPU wheel
    pip install "torch==2.13.0"
  fi
  pip install -e ".[$extras]"
  echo "$want" > "$stamp"
fi
say "ready: $("$venv/bin/python" --version), $(command -v octave-cli || command -v octave)"
