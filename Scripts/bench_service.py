#!/usr/bin/env python3
"""Load test of the `sieve serve` HTTP service with wrk: hash-only matching against a
1M-entry PDQ set, and 1 MP JPEG uploads against `sieve hash` on the same images.

What it measures
  1. Hash-only matching. 1,000,000 random PDQ hashes (numpy, fixed --seed) are written
     as a text list and imported with `sieve hashset import --type pdq` into a
     .sieveset (both cached in --work and reused). A pool of --pool query hashes is
     made: half are set entries with 1-8 bits flipped (they match, PDQ distance <= 31),
     half are random (no match: a random 256-bit hash is ~90+ bits from all 1M
     entries). One `POST /v1/match` and one `POST /v1/match/batch` with the whole pool
     check that the matching half matches and the random half does not, then
       wrk -t1 -c8 -d20s --latency -s Scripts/wrk/match_json.lua URL -- queries.txt
     POSTs `{"pdq": "<hex>"}` bodies round-robin. Targets: >= 2,000 req/s, p99 <= 10 ms.
  2. 1 MP JPEG uploads. --images (50) distinct photos from --corpus (default
     ../shared/corpus/dev: benign landscape/sample photos) are cover-cropped and
     resized to 1152x864 with light seeded noise and saved at JPEG quality 90 (if the
     corpus is missing, synthetic gradient+noise images are used instead).
       wrk -t1 -c4 -d20s --latency -s Scripts/wrk/match_upload.lua URL -- images.txt
     POSTs them round-robin as `Content-Type: image/jpeg` to the same server (so every
     upload is decoded, hashed with its 8 PDQ orientations, pHash and digests, and
     matched against the 1M set). Baseline: `sieve hash --jobs NPROC` over the same 50
     files copied --hash-copies (10) times into one folder; images/s = files / wall
     time of the whole command (one warm-up run, then the median of --baseline-runs).
     Target: upload req/s / sieve hash images/s >= 0.80. (`sieve hash` by default does
     no dihedral hashes and no digests; --baseline-args "--dihedral --digests" makes
     it do the server's work.)
  3. Environment: nproc, CPU, load average, `sieve --version`, `wrk --version`.

Both wrk runs use one server (`sieve serve --hashset SET --keys KEYS --port 0
--audit-log WORK/audit.jsonl`), started once; its stderr goes to WORK/server.log. The
audit log is counted after each run as a cross-check (lines written, share matched).
Any non-2xx response, socket error or failed check makes the exit status 1; targets
that are missed are shown as MISS (exit status 1 too with --strict).

Output: a markdown table, the exact commands run (the API key shown as $SIEVE_KEY),
and with --json-out FILE all figures as JSON.

Usage (from the repo root; needs wrk, numpy and Pillow):
  python3 Scripts/bench_service.py --sieve .build/release/sieve
  python3 Scripts/bench_service.py --duration 5s --json-out /tmp/bench.json   # short run
"""
import argparse
import atexit
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hash_shapes  # noqa: E402
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK_DIR = os.path.join(ROOT, "Scripts", "wrk")

COMMANDS = []  # (what, shell command) in the order run
SECRETS = []   # strings replaced in printed commands


# ------------------------------------------------------------------------ helpers

def shown(cmd):
    """A command as shell text; a word holding a secret is double-quoted with the secret
    replaced by its variable, so that the text can be pasted into a shell."""
    if isinstance(cmd, str):
        words = [cmd]
    else:
        words = []
        for word in cmd:
            hidden = [(secret, name) for secret, name in SECRETS if secret in word]
            if hidden and not re.search(r'["\\$`]', word):
                for secret, name in hidden:
                    word = word.replace(secret, name)
                words.append(f'"{word}"')
            else:
                words.append(shlex.quote(word))
    s = " ".join(words)
    for secret, name in SECRETS:
        s = s.replace(secret, name)
    return s


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def record(what, cmd):
    COMMANDS.append((what, shown(cmd)))
    log(f"$ {shown(cmd)}")


def run(what, cmd, **kw):
    """Runs a command (recorded), failing with its stderr if it fails."""
    record(what, cmd)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {shown(cmd)}\n{p.stderr.strip()}")
    return p


def nproc():
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        return len(os.sched_getaffinity(0))


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def hexes(rows):
    """uint8 array (n, 32) -> list of 64-digit lower-case hex strings."""
    h = rows.tobytes().hex()
    return [h[i:i + 64] for i in range(0, len(h), 64)]


# ------------------------------------------------------------------- test data

def make_hash_set(sieve, work, entries, seed, rebuild, shape="random"):
    """PDQ set as text and .sieveset (cached): random hashes, or series of near-duplicates
    (Scripts/hash_shapes.py). Returns (rows, sieveset path)."""
    rows = hash_shapes.make(shape, entries, 32, np.random.default_rng(seed))
    base = os.path.join(work, f"pdq-{entries}-seed{seed}" + ("" if shape == "random" else f"-{shape}"))
    text, sset = base + ".txt", base + ".sieveset"
    if rebuild or not os.path.exists(text):
        log(f"writing {entries:,} random PDQ hashes to {text}")
        with open(text + ".tmp", "w") as f:
            f.write("\n".join(hexes(rows)))
            f.write("\n")
        os.replace(text + ".tmp", text)
    tmp = base + ".tmp.sieveset"
    cmd = [sieve, "hashset", "import", "--type", "pdq", "--label", "bench", "--name", f"bench-pdq-{entries}",
           text, "-o", tmp]
    if rebuild or not os.path.exists(sset):
        t0 = time.perf_counter()
        run(f"import the set (then renamed to {os.path.basename(sset)})", cmd)
        log(f"imported in {time.perf_counter() - t0:.1f} s")
        os.replace(tmp, sset)
    else:
        COMMANDS.append((f"NOT run now: {os.path.basename(sset)} reused, made earlier by (--rebuild-set to redo)",
                         shown(cmd)))
        log(f"reusing {sset} (--rebuild-set to make it again)")
    return rows, sset


def make_query_pool(rows, size, seed, path):
    """Half set entries with 1-8 bits flipped, half random; shuffled. Written to path.

    Returns [(hex, expected_distance or None)]."""
    rng = np.random.default_rng(seed + 1)
    n_match = size // 2
    picks = rng.choice(len(rows), size=n_match, replace=False)
    near = rows[picks].copy()
    flips = rng.integers(1, 9, size=n_match)
    for q, k in zip(near, flips):
        for bit in rng.choice(256, size=k, replace=False):
            q[bit // 8] ^= np.uint8(1 << (bit % 8))
    far = rng.integers(0, 256, size=(size - n_match, 32), dtype=np.uint8)
    pool = list(zip(hexes(near), [int(k) for k in flips])) + [(h, None) for h in hexes(far)]
    order = rng.permutation(len(pool))
    pool = [pool[i] for i in order]
    with open(path, "w") as f:
        f.write("".join(h + "\n" for h, _ in pool))
    return pool


def photo_sources(corpus, count):
    """Photo files from the corpus: non-astronomy sources first (sorted), then the rest."""
    if not corpus or not os.path.isdir(corpus):
        return []
    names = sorted(n for n in os.listdir(corpus) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    names.sort(key=lambda n: n.startswith("stellarium"))  # stable: keeps name order
    return [os.path.join(corpus, n) for n in names[:count]]


def synthetic_photo(rng, w, h):
    """Smooth gradients, a few soft blobs and sensor-like noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        a, b, base = rng.uniform(-0.15, 0.15, 2).tolist() + [rng.uniform(40, 200)]
        img[..., c] = base + a * x + b * y
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(40, 300)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        img += blob[..., None] * rng.uniform(-90, 90, 3).astype(np.float32)
    return img


def make_jpegs(work, corpus, count, size, quality, seed):
    """count distinct ~1 MP JPEGs in WORK/jpeg-WxH-qQ-nN (cached). Returns (paths, origin)."""
    w, h = size
    folder = os.path.join(work, f"jpeg-{w}x{h}-q{quality}-n{count}")
    manifest = os.path.join(folder, "sources.txt")
    paths = [os.path.join(folder, f"photo-{i:03d}.jpg") for i in range(count)]
    if os.path.exists(manifest) and all(os.path.exists(p) for p in paths):
        with open(manifest) as f:
            origin = f.readline().strip()
        log(f"reusing {count} JPEGs in {folder}")
        return paths, origin
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed + 2)
    sources = photo_sources(corpus, count)
    origin = f"{len(sources)} from {corpus}" if sources else "synthetic"
    if sources and len(sources) < count:
        origin += f", {count - len(sources)} synthetic"
    log(f"making {count} {w}x{h} JPEGs (q{quality}) in {folder}: {origin}")
    lines = [origin]
    for i, path in enumerate(paths):
        if i < len(sources):
            im = Image.open(sources[i]).convert("RGB")
            scale = max(w / im.width, h / im.height)  # cover, then centre-crop
            rw, rh = max(w, round(im.width * scale)), max(h, round(im.height * scale))
            im = im.resize((rw, rh), Image.LANCZOS)
            left, top = (rw - w) // 2, (rh - h) // 2
            arr = np.asarray(im.crop((left, top, left + w, top + h)), np.float32)
            lines.append(f"{os.path.basename(path)} {sources[i]}")
        else:
            arr = synthetic_photo(rng, w, h)
            lines.append(f"{os.path.basename(path)} synthetic")
        arr = arr + rng.normal(0, 2.0, arr.shape).astype(np.float32)  # light sensor noise
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=quality)
    with open(manifest, "w") as f:
        f.write("\n".join(lines) + "\n")
    return paths, origin


# ----------------------------------------------------------------------- server

class Server:
    """`sieve serve` on a free port; stopped with SIGTERM (SIGKILL after 15 s) on exit."""

    def __init__(self, cmd, log_path, timeout):
        self.cmd, self.log_path, self.timeout = cmd, log_path, timeout
        self.proc, self.port, self.ready_line = None, None, None

    def start(self):
        record("start the server (stderr -> server.log)", self.cmd)
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            m = re.search(r"listening on http://[^\s:]+:(\d+)", text)
            if m:
                self.port = int(m.group(1))
            m = re.search(r"^.*\bready: .*$", text, re.M)
            if m and self.port:
                self.ready_line = m.group(0).strip()
                log(self.ready_line)
                return
            if self.proc.poll() is not None:
                sys.exit(f"server exited ({self.proc.returncode}) before ready; {self.log_path}:\n"
                         + "\n".join(text.splitlines()[-15:]))
            time.sleep(0.1)
        sys.exit(f"server not ready after {self.timeout} s; see {self.log_path}")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            log("server did not stop after SIGTERM; killing it")
            self.proc.kill()
            self.proc.wait()
        finally:
            self.logf.close()
        return self.proc.returncode


def http(method, url, key, body=None, content_type=None, timeout=60):
    """(status, parsed JSON or text) of one request."""
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data.decode(errors="replace")


# -------------------------------------------------------------------------- wrk

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"bad wrk time {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out):
    """Requests/s, latency percentiles (ms), non-2xx and socket errors from wrk --latency."""
    r = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    r["requests_per_s"] = float(m.group(1)) if m else None
    m = re.search(r"^\s*(\d+) requests in ([\d.]+\w+), ", out, re.M)
    r["requests"] = int(m.group(1)) if m else None
    r["duration_ms"] = to_ms(m.group(2)) if m else None
    dist = out.split("Latency Distribution", 1)
    r["latency_ms"] = {}
    if len(dist) == 2:
        for pct, val in re.findall(r"^\s+([\d.]+)%\s+([\d.]+\w+)\s*$", dist[1], re.M):
            r["latency_ms"][f"p{float(pct):g}"] = to_ms(val)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m \
        else dict(connect=0, read=0, write=0, timeout=0)
    m = re.search(r"^wrk-summary: (\{.*\})\s*$", out, re.M)
    r["lua_summary"] = json.loads(m.group(1)) if m else None
    missing = [k for k in ("requests_per_s", "requests") if r[k] is None] + \
        [p for p in ("p50", "p99") if p not in r["latency_ms"]]
    if missing:
        raise ValueError(f"could not parse {missing} from wrk output:\n{out}")
    if r["lua_summary"]:  # exact count from the Lua done() hook; wrk omits the line when 0
        r["non_2xx"] = max(r["non_2xx"], r["lua_summary"]["errors"]["status"])
    # Refused requests are cheap: targets and ratios use the rate of 2xx answers only.
    r["ok_per_s"] = r["requests_per_s"] * (r["requests"] - r["non_2xx"]) / r["requests"] if r["requests"] else 0.0
    return r


def run_wrk(what, wrk, threads, connections, duration, script, url, key, arg):
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", "--timeout", "10s",
           "-H", f"Authorization: Bearer {key}", "-s", script, url, "--", arg]
    record(what, cmd)
    p = subprocess.run(cmd, capture_output=True, text=True)
    print(p.stdout.rstrip(), file=sys.stderr)
    if p.returncode != 0:
        sys.exit(f"wrk failed ({p.returncode}): {p.stderr.strip()}")
    if p.stderr.strip():
        log(f"wrk stderr: {p.stderr.strip()}")
    result = parse_wrk(p.stdout)
    result["command"] = shown(cmd)
    result["raw"] = p.stdout
    return result


# ------------------------------------------------------------- server metrics

def status_counts(base, route="/v1/match", method="POST"):
    """{status: count} of sieve_http_requests_total for route and method, from /metrics."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
            text = r.read().decode()
    except (OSError, urllib.error.URLError) as e:
        log(f"could not read /metrics: {e}")
        return None
    counts = {}
    for labels, value in re.findall(r"^sieve_http_requests_total\{(.*)\}\s+([\d.e+]+)\s*$", text, re.M):
        lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if lab.get("route") == route and lab.get("method") == method:
            counts[lab.get("status", "?")] = counts.get(lab.get("status", "?"), 0) + int(float(value))
    return counts


def status_diff(before, after):
    if before is None or after is None:
        return None
    return {k: after[k] - before.get(k, 0) for k in sorted(after) if after[k] - before.get(k, 0)}


# ------------------------------------------------------------------- audit log

def audit_since(path, offset):
    """Lines appended to the audit log since offset, by source: (count, with matches)."""
    counts = {}
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            c = counts.setdefault(e.get("source", "?"), [0, 0])
            c[0] += 1
            c[1] += bool(e.get("matches"))
    return {k: {"lines": v[0], "with_matches": v[1]} for k, v in counts.items()}


def size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


# ------------------------------------------------------------------ main steps

SHAPE = "random"  # the set's shape (--shape)


def sanity_checks(base, key, pool, jpeg):
    """One matching and one non-matching /v1/match, the whole pool in one batch, one
    upload. Returns (list of check dicts, all ok)."""
    checks = []

    def check(name, ok, detail):
        checks.append(dict(check=name, ok=bool(ok), detail=detail))
        log(f"check {'ok  ' if ok else 'FAIL'} {name}: {detail}")

    near = next((h, k) for h, k in pool if k is not None)
    far = next(h for h, k in pool if k is None)
    st, body = http("POST", base + "/v1/match", key, json.dumps({"pdq": near[0]}).encode(), "application/json")
    dists = [m["distance"] for m in body.get("matches", [])] if isinstance(body, dict) else []
    # In a clustered set the query also matches its neighbours.
    check("matching query matches", st == 200 and near[1] in dists and (SHAPE != "random" or len(dists) == 1),
          f"HTTP {st}, distances {dists} (expected {near[1]} among them)")
    st, body = http("POST", base + "/v1/match", key, json.dumps({"pdq": far}).encode(), "application/json")
    n = len(body.get("matches", [])) if isinstance(body, dict) else None
    check("random query does not match", st == 200 and n == 0, f"HTTP {st}, {n} matches")

    queries = [{"ref": str(i), "pdq": h} for i, (h, _) in enumerate(pool)]
    for start in range(0, len(queries), 1000):
        chunk = queries[start:start + 1000]
        st, body = http("POST", base + "/v1/match/batch", key, json.dumps({"queries": chunk}).encode(),
                        "application/json", timeout=600)
        if st != 200:
            check("query pool (batch)", False, f"HTTP {st}: {str(body)[:200]}")
            break
        bad = 0
        for res in body["results"]:
            expected = pool[int(res["ref"])][1]
            got = [m["distance"] for m in res["matches"]]
            if expected is None or SHAPE == "random":
                bad += got != ([] if expected is None else [expected])
            else:
                # Clustered: the query's own entry is among its cluster's matches.
                bad += expected not in got
        if start == 0 or bad:
            check(f"query pool {start}-{start + len(chunk) - 1} (batch)", bad == 0,
                  f"{bad} of {len(chunk)} queries not as expected; match {body['timing']['match_ms']:.0f} ms")

    with open(jpeg, "rb") as f:
        data = f.read()
    st, body = http("POST", base + "/v1/match", key, data, "image/jpeg")
    ok = st == 200 and isinstance(body, dict) and body.get("hashes", {}).get("pdq")
    detail = f"HTTP {st}"
    if isinstance(body, dict) and "timing" in body:
        t = body["timing"]
        detail += (f", {body['hashes'].get('width')}x{body['hashes'].get('height')}, quality "
                   f"{body['hashes'].get('pdq_quality')}, hash {t.get('hash_ms') or 0:.1f} ms, "
                   f"match {t['match_ms']:.1f} ms, {len(body['matches'])} matches")
    check("JPEG upload is hashed", ok, detail)
    return checks, all(c["ok"] for c in checks)


def reload_run(args, server, base, url, key, queries_txt, served, versions):
    """wrk hash-only while the set file is swapped and SIGHUP sent every --reload-every s."""
    cmd = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency",
           "--timeout", "10s", "-H", f"Authorization: Bearer {key}", "-s", os.path.join(WRK_DIR, "match_json.lua"),
           url, "--", queries_txt]
    how = "cp" if args.reload_copy else "ln"
    record(f"hash-only matching while the set is reloaded every {args.reload_every:g} s "
           f"({how} the other version to served.sieveset.tmp, mv it over served.sieveset, then kill -HUP)", cmd)
    before = status_counts(base)
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reloads = []
    seconds = float(args.duration.rstrip("s"))
    start = time.monotonic()
    i = 0
    while time.monotonic() - start + args.reload_every < seconds:
        time.sleep(args.reload_every)
        src = versions[i % len(versions)]
        i += 1
        # Never write through an old .tmp: it may be a hard link to one of the versions.
        if os.path.lexists(served + ".tmp"):
            os.remove(served + ".tmp")
        if args.reload_copy:
            shutil.copyfile(src, served + ".tmp")
        else:
            # A hard link: the other version is in place at once, without copying 99 MB on
            # the two cores being measured (a deployment brings the new file in ahead of the
            # reload and renames it into place; copying it here, every few seconds, raised
            # the service's p90 for the copy's 0.1-0.4 s as much as the reload itself).
            os.link(src, served + ".tmp")
        os.replace(served + ".tmp", served)
        with open(server.log_path) as f:
            seen = f.read().count("reload (SIGHUP)")
        t0 = time.monotonic()
        server.proc.send_signal(signal.SIGHUP)
        line = None
        while time.monotonic() - t0 < 60 and line is None:
            time.sleep(0.02)
            with open(server.log_path) as f:
                found = [l for l in f.read().splitlines() if "reload (SIGHUP)" in l]
            if len(found) > seen:
                line = found[-1]
        reloads.append(dict(seconds=round(time.monotonic() - t0, 2), log=line))
        log(f"  reload {i}: {line} ({time.monotonic() - t0:.2f} s)")
    out, err = wrk.communicate()
    print(out.rstrip(), file=sys.stderr)
    if wrk.returncode != 0:
        sys.exit(f"wrk failed ({wrk.returncode}): {err.strip()}")
    result = parse_wrk(out)
    result["command"] = shown(cmd)
    result["server_statuses"] = status_diff(before, status_counts(base))
    result["reloads"] = reloads
    return result


def hash_baseline(sieve, work, jpegs, copies, jobs, runs, extra):
    """`sieve hash` over copies x the JPEGs; returns dict with images/s (median of runs)."""
    folder = os.path.join(work, f"hash-baseline-{len(jpegs)}x{copies}")
    want = {f"c{c:02d}-{os.path.basename(p)}": p for c in range(copies) for p in jpegs}
    if os.path.isdir(folder) and set(os.listdir(folder)) != set(want):
        shutil.rmtree(folder)
    os.makedirs(folder, exist_ok=True)
    for name, src in want.items():
        dst = os.path.join(folder, name)
        if not os.path.exists(dst) or os.path.getsize(dst) != os.path.getsize(src):
            shutil.copyfile(src, dst)
    cmd = [sieve, "hash", "--quiet", "--format", "csv", "--jobs", str(jobs)] + extra + [folder]
    record(f"baseline: 1 warm-up + {runs} timed runs", cmd)
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        rows = max(0, len(p.stdout.splitlines()) - 1)  # CSV header
        if p.returncode != 0 or rows != len(want):
            sys.exit(f"sieve hash failed ({p.returncode}), {rows} of {len(want)} rows:\n{p.stderr.strip()[:2000]}")
        if i:
            times.append(dt)
            log(f"  run {i}: {len(want)} images in {dt:.2f} s = {len(want) / dt:.1f} images/s")
    med = statistics.median(times)
    return dict(command=shown(cmd), images=len(want), seconds=times, median_s=med,
                images_per_s=len(want) / med)


def fmt_num(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def main():
    cores = nproc()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sieve", default=os.path.join(ROOT, ".build", "release", "sieve"),
                    help="sieve binary (default: .build/release/sieve in the repo)")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="wrk binary")
    ap.add_argument("--work", default="/tmp/sieve-bench-work",
                    help="work folder: cached set and JPEGs, keys, server.log, audit log")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "dev"),
                    help="photos for the uploads (default ../shared/corpus/dev; synthetic if missing)")
    ap.add_argument("--entries", type=int, default=1_000_000, help="PDQ set size (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=20240611, help="seed for the set, queries and noise")
    ap.add_argument("--rebuild-set", action="store_true", help="regenerate and re-import the set")
    ap.add_argument("--shape", choices=["random", "clustered"], default="random",
                    help="the set's hashes: random, or clustered (series of near-duplicates: 1-100 members "
                         "within 48 bits of a centre, as real lists hold them)")
    ap.add_argument("--pool", type=int, default=1000, help="query hashes cycled by wrk (default 1000)")
    ap.add_argument("--threads", type=int, default=1,
                    help="wrk threads, hash-only run (default 1: wrk shares the server's cores, and a second "
                         "client thread competes with its two event loops, which only adds tail latency)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections, hash-only run (default 8)")
    ap.add_argument("--duration", default="20s", help="wrk duration of each run (default 20s)")
    ap.add_argument("--upload-threads", type=int, default=1, help="wrk threads, upload run (default 1)")
    ap.add_argument("--upload-connections", type=int, default=4,
                    help="wrk connections, upload run (default 4: two per worker keeps both busy)")
    ap.add_argument("--upload-duration", help="wrk duration of the upload run (default --duration)")
    ap.add_argument("--images", type=int, default=50, help="distinct JPEGs (default 50)")
    ap.add_argument("--size", default="1152x864", help="JPEG size WxH (default 1152x864, ~1 MP)")
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality (default 90)")
    ap.add_argument("--hash-copies", type=int, default=10, help="copies of the JPEGs for sieve hash (default 10)")
    ap.add_argument("--baseline-runs", type=int, default=3, help="timed sieve hash runs, median (default 3)")
    ap.add_argument("--jobs", type=int, default=cores, help=f"sieve hash --jobs (default nproc = {cores})")
    ap.add_argument("--baseline-args", default="", help='extra sieve hash options, e.g. "--dihedral --digests"')
    ap.add_argument("--workers", type=int, help="sieve serve --workers (default: the server's, all cores)")
    ap.add_argument("--queue", type=int, help="sieve serve --queue (default: the server's, 64)")
    ap.add_argument("--ready-timeout", type=float, default=600, help="seconds to wait for the server (default 600)")
    ap.add_argument("--skip-hash", action="store_true", help="skip the hash-only run")
    ap.add_argument("--skip-upload", action="store_true", help="skip the upload run and the baseline")
    ap.add_argument("--skip-reload", action="store_true", help="skip the hash-only run with reloads")
    ap.add_argument("--serve-args", default="", help='more `sieve serve` options, e.g. "--no-dihedral"')
    ap.add_argument("--reload-copy", action="store_true",
                    help="during the reload run, copy each version over the served file before SIGHUP "
                         "(the copy then competes with the server) instead of hard-linking it")
    ap.add_argument("--reload-every", type=float, default=5.0,
                    help="seconds between reloads (SIGHUP, the set file swapped) during the reload run")
    ap.add_argument("--json-out", help="also write all results to this JSON file")
    ap.add_argument("--strict", action="store_true", help="exit status 1 when a target is missed")
    args = ap.parse_args()

    sieve = os.path.abspath(os.path.join(ROOT, args.sieve) if not os.path.isabs(args.sieve) and
                            not os.path.exists(args.sieve) else args.sieve)
    if not os.access(sieve, os.X_OK):
        sys.exit(f"sieve binary not found: {sieve} (build it, or pass --sieve PATH)")
    if not shutil.which(args.wrk):
        sys.exit(f"wrk not found: {args.wrk}")
    if args.connections < args.threads or args.upload_connections < args.upload_threads:
        ap.error("wrk needs at least as many connections as threads")
    w, h = map(int, args.size.lower().split("x"))
    upload_duration = args.upload_duration or args.duration
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    # SIGTERM/SIGHUP -> SystemExit, so the server is stopped (atexit) as on Ctrl-C.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: sys.exit(f"stopped by signal {s}"))

    env = dict(
        nproc=cores, cpu=cpu_model(), kernel=platform.release(), python=platform.python_version(),
        sieve=sieve, sieve_version=run("sieve version", [sieve, "--version"]).stdout.strip(),
        wrk_version=subprocess.run([args.wrk, "--version"], capture_output=True, text=True).stdout
        .splitlines()[0].split(" Copyright")[0].strip(),
        loadavg_start=loadavg())
    log(f"nproc {env['nproc']}, {env['cpu']}; {env['sieve_version']}; {env['wrk_version']}; load {env['loadavg_start']}")

    # ------------------------------------------------------------ data and keys
    global SHAPE
    SHAPE = args.shape
    rows, sset = make_hash_set(sieve, work, args.entries, args.seed, args.rebuild_set, args.shape)
    queries_txt = os.path.join(work, "queries.txt")
    pool = make_query_pool(rows, args.pool, args.seed, queries_txt)
    del rows
    jpegs, jpeg_origin = make_jpegs(work, args.corpus, args.images, (w, h), args.quality, args.seed)
    images_txt = os.path.join(work, "images.txt")
    with open(images_txt, "w") as f:
        f.write("".join(p + "\n" for p in jpegs))
    jpeg_bytes = [os.path.getsize(p) for p in jpegs]

    keys = os.path.join(work, "keys.json")
    if os.path.exists(keys):
        os.remove(keys)
    key = run("make an API key", [sieve, "serve", "keys", "add", "--keys", keys, "--name", "bench",
                                  "--role", "match"]).stdout.strip()
    if not re.fullmatch(r"sieve_\S+", key):
        sys.exit(f"unexpected key output: {key!r}")
    SECRETS.append((key, "$SIEVE_KEY"))
    COMMANDS[-1] = (COMMANDS[-1][0], "SIEVE_KEY=$(" + COMMANDS[-1][1] + ")")

    # ------------------------------------------------------------------- server
    audit = os.path.join(work, "audit.jsonl")
    if os.path.exists(audit):
        os.remove(audit)
    # The server reads a copy, so the reload run can swap in another version of the set.
    served = os.path.join(work, "served.sieveset")
    # The reload run leaves served.sieveset a hard link to one of the versions: replace
    # names, never write through them.
    if os.path.lexists(served + ".tmp"):
        os.remove(served + ".tmp")
    shutil.copyfile(sset, served + ".tmp")
    os.replace(served + ".tmp", served)
    serve = [sieve, "serve", "--hashset", served, "--keys", keys, "--port", "0", "--audit-log", audit,
             "--rate-limit", "0"]  # the load test measures the server, not the default per-key rate
    if args.workers:
        serve += ["--workers", str(args.workers)]
    if args.queue:
        serve += ["--queue", str(args.queue)]
    serve += shlex.split(args.serve_args)
    server = Server(serve, os.path.join(work, "server.log"), args.ready_timeout)
    t0 = time.perf_counter()
    server.start()
    env["server_start_s"] = round(time.perf_counter() - t0, 2)
    env["server_ready"] = server.ready_line
    base = f"http://127.0.0.1:{server.port}"
    url = base + "/v1/match"

    results = dict(environment=env, options=vars(args), checks=[], hash_only=None, upload=None, upload_hash=None,
                   baseline=None, jpegs=dict(count=len(jpegs), size=f"{w}x{h}", quality=args.quality,
                                             origin=jpeg_origin, mean_bytes=round(statistics.mean(jpeg_bytes))))
    checks, ok = sanity_checks(base, key, pool, jpegs[0])
    results["checks"] = checks
    if not ok:
        sys.exit("sanity checks failed; see above and " + server.log_path)

    # ------------------------------------------------------------------ 1. hash-only
    if not args.skip_hash:
        env["loadavg_hash"] = loadavg()
        mark, before = size(audit), status_counts(base)
        r = run_wrk("hash-only matching", args.wrk, args.threads, args.connections, args.duration,
                    os.path.join(WRK_DIR, "match_json.lua"), url, key, queries_txt)
        r["server_statuses"] = status_diff(before, status_counts(base))
        r["audit"] = audit_since(audit, mark).get("hashes")
        results["hash_only"] = r

    # --------------------------------------------------------------- 2. uploads
    if not args.skip_upload:
        env["loadavg_baseline"] = loadavg()
        results["baseline"] = hash_baseline(sieve, work, jpegs, args.hash_copies, args.jobs, args.baseline_runs,
                                            shlex.split(args.baseline_args))
        env["loadavg_upload"] = loadavg()
        mark, before = size(audit), status_counts(base)
        r = run_wrk("1 MP JPEG uploads", args.wrk, args.upload_threads, args.upload_connections, upload_duration,
                    os.path.join(WRK_DIR, "match_upload.lua"), url, key, images_txt)
        r["server_statuses"] = status_diff(before, status_counts(base))
        r["audit"] = audit_since(audit, mark).get("image")
        results["upload"] = r
        # The same uploads to /v1/hash: decoding, hashing (8 PDQ orientations, pHash,
        # digests) and HTTP, without matching: what the service adds to `sieve hash`.
        before = status_counts(base, route="/v1/hash")
        r = run_wrk("1 MP JPEG uploads, hash only", args.wrk, args.upload_threads, args.upload_connections,
                    upload_duration, os.path.join(WRK_DIR, "match_upload.lua"), base + "/v1/hash", key, images_txt)
        r["server_statuses"] = status_diff(before, status_counts(base, route="/v1/hash"))
        results["upload_hash"] = r
        # The baseline again, after: the machine's speed drifts; the median of both halves.
        again = hash_baseline(sieve, work, jpegs, args.hash_copies, args.jobs, args.baseline_runs,
                              shlex.split(args.baseline_args))
        bl = results["baseline"]
        bl["seconds"] += again["seconds"]
        bl["median_s"] = statistics.median(bl["seconds"])
        bl["images_per_s"] = bl["images"] / bl["median_s"]

    # ------------------------------------------------ 3. hash-only under reloads
    if not args.skip_reload and not args.skip_hash:
        other = sset.replace(".sieveset", ".relabelled.sieveset")
        if not os.path.exists(other):
            run("a second version of the set (same hashes, other label: another checksum)",
                [sieve, "hashset", "import", "--type", "pdq", "--label", "bench-v2", "--name", f"bench-pdq-{args.entries}",
                 sset.replace(".sieveset", ".txt"), "-o", other])
        results["reload"] = reload_run(args, server, base, url, key, queries_txt, served, [other, sset])

    alive = server.proc.poll() is None
    env["server_exit"] = server.stop()
    if not alive:
        results["checks"].append(dict(check="server alive after the runs", ok=False, detail=f"exit {env['server_exit']}"))
    env["loadavg_end"] = loadavg()
    results["commands"] = [dict(what=a, command=b) for a, b in COMMANDS]

    # ---------------------------------------------------------------- report
    failed, missed = report(results, args)
    results["failed"], results["missed_targets"] = failed, missed
    if args.json_out:
        for k in ("hash_only", "upload", "upload_hash", "reload"):
            if results[k]:
                results[k].pop("raw", None)
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=2)
        log(f"wrote {args.json_out}")
    sys.exit(1 if failed or (args.strict and missed) else 0)


def report(res, args):
    """Prints the markdown report; returns (failures, missed targets)."""
    env, failed, missed = res["environment"], [], []
    lines = ["| measurement | result | target | |", "|---|---:|---:|---|"]

    def row(name, value, target="", ok=None, fatal=False):
        mark = "" if ok is None else ("ok" if ok else ("FAIL" if fatal else "MISS"))
        if ok is False:
            (failed if fatal else missed).append(name)
        lines.append(f"| {name} | {value} | {target} | {mark} |")

    def rate(r, digits):
        s = fmt_num(r["requests_per_s"], digits)
        return s if not r["non_2xx"] else f"{s} (2xx only: {fmt_num(r['ok_per_s'], digits)})"

    def errors_row(name, r):
        sock = sum(r["socket_errors"].values())
        statuses = {k: v for k, v in (r.get("server_statuses") or {}).items() if not k.startswith("2")}
        detail = f" (server: {', '.join(f'{v} × {k}' for k, v in statuses.items())})" if statuses else ""
        row(f"{name}: non-2xx / socket errors", f"{r['non_2xx']}{detail} / {sock}", "0 / 0",
            r["non_2xx"] == 0 and sock == 0, fatal=True)

    def audit_row(name, r):
        a = r.get("audit") or {"lines": 0, "with_matches": 0}
        share = f"{100 * a['with_matches'] / a['lines']:.1f} % matched" if a["lines"] else "-"
        row(f"{name}: audit log lines (wrk requests {r['requests']:,})", f"{a['lines']:,}; {share}")

    ho = res["hash_only"]
    if ho:
        n = f"{args.entries:,}-entry PDQ set"
        row(f"hash-only match, {n}: requests/s (-t{args.threads} -c{args.connections} -d{args.duration})",
            rate(ho, 0), "≥ 2,000", ho["ok_per_s"] >= 2000)
        row("hash-only: p50 latency", f"{ho['latency_ms']['p50']:.2f} ms")
        row("hash-only: p99 latency", f"{ho['latency_ms']['p99']:.2f} ms", "≤ 10 ms", ho["latency_ms"]["p99"] <= 10)
        errors_row("hash-only", ho)
        audit_row("hash-only", ho)
    up, bl = res["upload"], res["baseline"]
    if up:
        j = res["jpegs"]
        ud = args.upload_duration or args.duration
        row(f"JPEG upload ({j['count']} × {j['size']} q{j['quality']}, mean {j['mean_bytes'] / 1024:.0f} KiB): "
            f"requests/s (-t{args.upload_threads} -c{args.upload_connections} -d{ud})", rate(up, 1))
        row("upload: p50 latency", f"{up['latency_ms']['p50']:.1f} ms")
        row("upload: p99 latency", f"{up['latency_ms']['p99']:.1f} ms")
        errors_row("upload", up)
        audit_row("upload", up)
    uh = res.get("upload_hash")
    if uh:
        row("same uploads to /v1/hash (no matching): requests/s", rate(uh, 1))
        row("/v1/hash: p50 / p99 latency", f"{uh['latency_ms']['p50']:.1f} ms / {uh['latency_ms']['p99']:.1f} ms")
        errors_row("/v1/hash", uh)
    if bl:
        extra = f" {args.baseline_args}" if args.baseline_args else ""
        row(f"`sieve hash --jobs {args.jobs}{extra}`: images/s ({bl['images']} files, median of {len(bl['seconds'])} runs before and after)",
            fmt_num(bl["images_per_s"], 1))
    if up and bl:
        ratio = up["ok_per_s"] / bl["images_per_s"]
        res["upload_to_baseline_ratio"] = ratio
        row("upload (hash + match against the set) req/s ÷ sieve hash images/s", f"{ratio:.2f}", "≥ 0.80", ratio >= 0.80)
        if uh:
            ratio = uh["ok_per_s"] / bl["images_per_s"]
            res["hash_upload_to_baseline_ratio"] = ratio
            row("/v1/hash req/s ÷ sieve hash images/s", f"{ratio:.2f}", "≥ 0.80", ratio >= 0.80)
    rl = res.get("reload")
    if rl:
        ok_reloads = [r for r in rl["reloads"] if r["log"] and "1 reloaded" in r["log"] and "FAILED" not in r["log"]]
        row(f"hash-only while reloading the 1M set every {args.reload_every:g} s: reloads done",
            f"{len(ok_reloads)} of {len(rl['reloads'])}, " + ", ".join("%.1f" % r["seconds"] for r in rl["reloads"]) + " s each",
            "all", len(ok_reloads) == len(rl["reloads"]) and len(ok_reloads) > 0, fatal=True)
        worst = (rl["lua_summary"] or {}).get("latency_us", {}).get("max")
        row("  requests/s, p50 / p99 / max latency", f"{rate(rl, 0)}, {rl['latency_ms']['p50']:.2f} / "
            f"{rl['latency_ms']['p99']:.2f} / " + ("%.1f" % (worst / 1000) if worst else "-") + " ms")
        errors_row("  during reloads", rl)
    for c in res["checks"]:
        if not c["ok"]:
            row(f"check: {c['check']}", c["detail"], "", False, fatal=True)

    out = ["## sieve serve load test", "",
           f"- nproc: {env['nproc']} ({env['cpu']}); kernel {env['kernel']}; Python {env['python']}",
           f"- sieve: {env['sieve_version']} ({env['sieve']})",
           f"- wrk: {env['wrk_version']}",
           f"- load average: start {env['loadavg_start']}"
           + "".join(f", {k[8:]} {env[k]}" for k in ("loadavg_hash", "loadavg_baseline", "loadavg_upload") if k in env)
           + f", end {env['loadavg_end']}",
           f"- server: {env['server_ready']} (start to ready {env['server_start_s']} s; exit status {env['server_exit']} after SIGTERM); "
           f"sanity checks: {sum(c['ok'] for c in res['checks'])}/{len(res['checks'])} ok",
           "", *lines, "", "### Commands", "", "```"]
    for what, cmd in COMMANDS:
        out += [f"# {what}", cmd]
    out += ["```"]
    if failed:
        out += ["", "FAILED: " + "; ".join(failed)]
    print("\n".join(out))
    return failed, missed


if __name__ == "__main__":
    main()
