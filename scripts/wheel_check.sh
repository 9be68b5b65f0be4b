#!/usr/bin/env bash
# The installed package where there is no Octave: build the wheel, install it alone into a fresh
# virtual environment, hide Octave (OCTAVE_EXECUTABLE pointing at nothing, a PATH without it), and
# run `dlparity compare --json` and `dlparity selfcheck` against the stored Octave results.
# CI runs this after the live suite. Exit status: 0 when both pass and say the Octave side is stored.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DLPARITY_VENV:-.venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf 'wheel check: %s\n' "$*" >&2; }

start=$(date +%s)
"$venv/bin/python" -m pip wheel --no-deps -q -w "$work/dist" . 2> >(grep -v '^WARNING: Location .* is ignored' >&2)
"$venv/bin/python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/dlparity-*.whl 2> >(grep -v '^WARNING: Location .* is ignored' >&2)
say "built and installed $(basename "$work"/dist/dlparity-*.whl) in $(( $(date +%s) - start )) s"

hidden=(env -i HOME="$HOME" LANG=C.UTF-8 PATH="$work/venv/bin" OCTAVE_EXECUTABLE=/nonexistent/octave-cli)
if "${hidden[@]}" sh -c 'command -v octave-cli || command -v octave' >/dev/null 2>&1; then
  say "Octave is still reachable; the check would not prove anything"; exit 1
fi
cd "$work"  # away from the checkout, so only the installed wheel can answer
"${hidden[@]}" "$work/venv/bin/dlparity" compare --json > compare.json
"$work/venv/bin/python" - compare.json <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
octave = report["octave"]
assert report["ok"] is True, "dlparity compare did not match"
assert octave["source"] == "stored" and octave["version"] and octave["recorded"], octave
print(f"wheel check: dlparity compare --json: ok, Octave side stored (GNU Octave {octave['version']}, "
      f"recorded {octave['recorded']})", file=sys.stderr)
PY
"${hidden[@]}" "$work/venv/bin/dlparity" selfcheck
set +e
"${hidden[@]}" "$work/venv/bin/dlparity" compare --seed 31337 2> missing.txt
status=$?
set -e
if [ "$status" != 3 ] || [ "$(wc -l < missing.txt)" != 1 ]; then
  say "a case the store does not hold should exit 3 with one sentence; got $status: $(cat missing.txt)"; exit 1
fi
say "a case not in the store: exit 3, one sentence"
