#!/usr/bin/python3
"""Counts test cases across meson test logs (Boost.Test cases, pytest tests, fuzz replays) and
prints one closing line "N passed, N failed" for CI."""
import json
import re
import sys

passed = failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            out = re.sub(r"\x1b\[[0-9;]*m", "", t.get("stdout") or "")
            ok = t.get("result") == "OK"
            boost = re.search(r"Running (\d+) test cases", out)
            pytest_pass = re.search(r"(\d+) passed", out)
            pytest_fail = re.search(r"(\d+) failed", out)
            if boost:
                n = int(boost.group(1))
                bad = re.search(r"\*\*\* (\d+) failures? (is|are) detected", out)
                nbad = min(n, int(bad.group(1))) if bad else (0 if ok else 1)
                passed += n - nbad
                failed += nbad
            elif pytest_pass or pytest_fail:
                passed += int(pytest_pass.group(1)) if pytest_pass else 0
                failed += int(pytest_fail.group(1)) if pytest_fail else (0 if ok else 1)
            else:  # one fuzz corpus replay (or any other test) counts once
                passed += 1 if ok else 0
                failed += 0 if ok else 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
