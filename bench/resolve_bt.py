#!/usr/bin/python3
"""Resolve the raw backtraces written by malloc_count.c (MALLOC_COUNT_BT) to
muster file:line and count them per allocation site.

usage: resolve_bt.py BACKTRACE_FILE MUSTER_BINARY   (binary with debug info)
The site is the innermost frame in muster's src/ (std:: allocator frames that
were inlined are skipped), followed by two callers.
"""
import collections
import re
import subprocess
import sys


def main(path, binary):
    stacks, cur = [], None
    for line in open(path, errors="replace"):
        if line.startswith("--- alloc"):
            cur = []
            stacks.append(cur)
        elif cur is not None:
            m = re.match(r"(.*)\((?:[^)+]*)?\+(0x[0-9a-f]+)\)", line.strip())
            if m and m.group(1).endswith("/muster"):
                cur.append(m.group(2))
            elif "malloc_count" not in line:
                cur.append("lib:" + line.strip().split("(")[0].split("/")[-1])
    offs = sorted({o for s in stacks for o in s if not o.startswith("lib:")})
    site = {}
    if offs:
        q = [hex(int(o, 16) - 1) for o in offs]  # return address -> call instruction
        out = subprocess.run(["addr2line", "-f", "-C", "-i", "-p", "-e", binary] + q,
                             capture_output=True, text=True).stdout.splitlines()
        groups, g = [], []
        for l in out:
            if l.startswith(" (inlined by)"):
                g.append(l.replace("(inlined by)", "").strip())
            elif l.strip():
                if g:
                    groups.append(g)
                g = [l.strip()]
        if g:
            groups.append(g)

        def short(e):
            m = re.match(r"(.*?) at (.*):(\d+)", e)
            if not m:
                return e
            fn = re.sub(r"\(.*", "", m.group(1)).replace("muster::", "")
            f = m.group(2)
            f = f[f.find("src/"):] if "src/" in f else f.split("/")[-1]
            return f"{f}:{m.group(3)} {fn}"

        for o, gg in zip(offs, groups):
            own = [e for e in gg if "/src/" in e]
            site[o] = short(own[0]) if own else short(gg[-1])
    cnt = collections.Counter()
    for s in stacks:
        frames = [site.get(o, o) for o in s if not o.startswith("lib:")]
        libs = []
        for o in s:  # library frames above the first muster frame (libevent, libssl, ...)
            if not o.startswith("lib:"):
                break
            if o[4:] not in libs:
                libs.append(o[4:])
        key = " <- ".join(frames[:3]) or "?"
        if libs:
            key += f"   [in {', '.join(libs)}]"
        cnt[key] += 1
    print(f"{len(stacks)} allocation backtraces, by site (muster frame <- caller <- caller):\n")
    print("| count | site |")
    print("|---|---|")
    for k, n in cnt.most_common(40):
        print(f"| {n} | `{k}` |")
    print()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
