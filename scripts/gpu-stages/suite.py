"""Helpers of scripts/gpu-suite.sh: read benchtui's reports, exports, sweeps and iteration
logs, and print the short tables the stages end with. Every figure printed is a report's own
(output tok/s, speed of light); this file only picks, groups and divides them.

    python3 suite.py tput FILE                  output tok/s of a report or an export
    python3 suite.py steps FILE NAME            step and micro-batch counts of an iteration log
    python3 suite.py settings DIR               the settings stage's table and best settings
    python3 suite.py big SWEEP_DIR MODEL        tok/s and % of speed of light per batch size
    python3 suite.py sanitizer LOG              compute-sanitizer's error summary
    python3 suite.py odirect DIR                whether DIR's file system takes O_DIRECT writes
"""

import glob
import json
import mmap
import os
import statistics
import sys


def load(path):
    with open(path) as f:
        d = json.load(f)
    # An export holds the report under "report".
    return d.get("report", d)


def tok_s(rep):
    return rep["performance"]["system_output_throughput_tok_s"]


def cmd_tput(path):
    print(round(tok_s(load(path)), 1))


def cmd_steps(path, name):
    with open(path) as f:
        steps = [json.loads(line) for line in f if line.strip()]
    pre = [s for s in steps if s["num_ctx_tokens"] > 0]
    dec = [s for s in steps if s["num_ctx_tokens"] == 0]

    def med(v):
        return sorted(v)[len(v) // 2] if v else 0

    print(f"{name}: {len(steps)} steps; {len(pre)} with prompt tokens "
          f"({sum(s['num_micro_batches'] for s in pre)} micro-batches, median {med([s['duration_ns'] for s in pre]) / 1e6:.1f} ms); "
          f"{len(dec)} decode-only ({sum(s['num_micro_batches'] for s in dec)} micro-batches, "
          f"median {med([s['duration_ns'] for s in dec]) / 1e6:.2f} ms, median {med([s['num_gen_requests'] for s in dec])} requests)")


# The settings stage's factors, their defaults as benchtui sweep names them.
FACTORS = {"n_ubatch": "0", "flash_attn": "auto", "kv_cache_dtype": "f16", "cuda_graphs": "default"}


def sweep_points(path):
    """Yields (settings, batch, [tok/s of each repeat]) of a sweep.json."""
    with open(path) as f:
        doc = json.load(f)
    for p in doc["points"]:
        params = p["params"]
        settings = tuple((k, params.get(k, v)) for k, v in FACTORS.items())
        yield settings, int(params["max_batch_size"]), [tok_s(r) for r in p["reports"]]


def cmd_settings(d):
    """Prints the table of every sweep under d (sw-default, one sweep per factor, sw-best-*),
    one BEST line per batch size for the shell (the fastest value of each factor with the
    others at their defaults, combined), and the fastest configuration measured."""
    runs = {}  # (sweep, settings, batch) -> [tok/s]
    order = []  # (sweep, settings), in the order run
    for path in sorted(glob.glob(os.path.join(d, "sw-*", "sweep.json")), key=os.path.getmtime):
        name = os.path.basename(os.path.dirname(path))[3:]
        for settings, batch, vals in sweep_points(path):
            runs.setdefault((name, settings, batch), []).extend(vals)
            if (name, settings) not in order:
                order.append((name, settings))
    batches = sorted({b for _, _, b in runs})
    default = tuple(FACTORS.items())

    def mean(key):
        v = runs.get(key)
        return statistics.mean(v) if v else None

    def base(b):
        return mean(("default", default, b))

    print("| config | " + " | ".join(f"B={b} output tok/s" for b in batches) + " |")
    print("|" + "---|" * (len(batches) + 1))
    for name, settings in order:
        changed = ", ".join(f"{k}={v}" for k, v in settings if FACTORS[k] != v) or "default"
        cells = []
        for b in batches:
            v = runs.get((name, settings, b))
            if not v:
                cells.append("-")
                continue
            m = statistics.mean(v)
            cell = f"{m:.1f}"
            if len(v) > 1:
                cell += f" ± {statistics.stdev(v):.1f}"
            if base(b) and name != "default":
                cell += f" ({m / base(b):.3f})"
            cells.append(cell)
        label = changed + (" (best of each, combined)" if name.startswith("best") else "")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("(mean ± standard deviation over the repeats; in brackets, against the default at that batch size, measured minutes apart in the same call)")
    for b in batches:
        best = dict(FACTORS)
        for k in FACTORS:
            # The fastest value of factor k among the points with every other factor at its
            # default (the default sweep and the one-factor sweeps).
            cands = []
            for (name, s, bb), v in runs.items():
                if bb == b and not name.startswith("best") and all(val == FACTORS[kk] for kk, val in s if kk != k):
                    cands.append((statistics.mean(v), dict(s)[k]))
            if cands:
                best[k] = max(cands)[1]
        if best["kv_cache_dtype"] not in ("f16", "bf16", "f32") and best["flash_attn"] == "off":
            # llama.cpp quantizes the V cache only with flash attention.
            best["flash_attn"] = FACTORS["flash_attn"]
        print("BEST", b, " ".join(f"{k}={v}" for k, v in best.items()))
    for b in batches:
        got = [(statistics.mean(v), name, s) for (name, s, bb), v in runs.items() if bb == b]
        if not got:
            continue
        m, name, s = max(got)
        changed = ", ".join(f"{k}={v}" for k, v in s if FACTORS[k] != v) or "the default"
        rel = f", {m / base(b):.3f} x the default's {base(b):.1f}" if base(b) else ""
        print(f"fastest at B={b}: {changed}: {m:.1f} output tok/s{rel}")


def cmd_big(d, model):
    path = os.path.join(d, "sweep.json")
    if not os.path.exists(path):
        print(f"| {model} | - | no sweep.json (the runs did not finish) | - |")
        return
    with open(path) as f:
        doc = json.load(f)
    for p in doc["points"]:
        r = p["reports"][0]
        hw = r["benchtui"].get("hardware") or {}
        sol = hw.get("speed_of_light")
        pct = f"{sol['achieved_percent']:.1f}%" if sol else "- (bandwidth unknown)"
        roof = f"{sol['roofline_output_tok_s']:.0f}" if sol else "-"
        print(f"| {model} | {p['params']['max_batch_size']} | {tok_s(r):.1f} | {roof} | {pct} |")


def cmd_sanitizer(log):
    if not os.path.exists(log):
        print("sanitizer: no log (it did not start)")
        return
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    summary = [l for l in lines if "ERROR SUMMARY" in l]
    errs = [l for l in lines if l.startswith("=========") and any(
        w in l for w in ("Invalid", "Program hit", "Error", "error", "Out-of-range", "Misaligned", "Malloc/Free"))
        and "ERROR SUMMARY" not in l]
    if summary:
        print("sanitizer: " + summary[-1].strip("= ").strip())
    else:
        print(f"sanitizer: no ERROR SUMMARY line (the run was stopped before compute-sanitizer ended); {len(errs)} error lines so far")
    for l in errs[:8]:
        print("    " + l.strip("= ").strip()[:200])


def cmd_odirect(d):
    """Writes one aligned block with O_DIRECT, as synth's direct writer does: the open, the
    write, or neither may be refused (EINVAL); synth then writes through the page cache."""
    path = os.path.join(d, ".odirect-probe")
    buf = mmap.mmap(-1, 1 << 16)  # page-aligned
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | getattr(os, "O_DIRECT", 0), 0o644)
    except OSError as e:
        print(f"O_DIRECT on {d}: open refused ({e.strerror}): synth writes through the page cache")
        return
    try:
        os.write(fd, buf)
        print(f"O_DIRECT on {d}: accepted (synth writes large models with it)")
    except OSError as e:
        print(f"O_DIRECT on {d}: write refused ({e.strerror}): synth falls back to buffered writes")
    finally:
        os.close(fd)
        os.unlink(path)


def main():
    cmds = {"tput": cmd_tput, "steps": cmd_steps, "settings": cmd_settings, "big": cmd_big,
            "sanitizer": cmd_sanitizer, "odirect": cmd_odirect}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
