#!/usr/bin/env python3
"""End-to-end browser test of `sieve review`, the examiner's review workspace.

Makes a case from the benign PDQ fixture photos, starts `sieve review --port 0`, drives
headless Chromium (Playwright) through a review session, then checks the ledger, its
verification (and that tampering is found), the exports and the report from the CLI.

    python review_e2e.py --sieve .build/debug/sieve --fixtures Tests/Fixtures \
        --hashsets hashsets --work /tmp/sieve-review-e2e [--screenshots DIR]

Every step prints one line (ok or FAIL). A failing step does not stop the steps after it
(most are independent; a failure can cascade into later ones, read the first); the exit
status is 1 when any step failed, 2 when the run could not start. --fail-fast stops at
the first failure.
"""

import argparse
import http.client
import json
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

EXAMINER = "E2E Examiner"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
MATCHED_FILES = 8
GROUP_SIZE = 4
# Only benign categories of the Project VIC scheme are used: 4 Comparison.
GROUP_CATEGORY = 4
GROUP_CATEGORY_WORD = "Comparison"
SERVER_START_TIMEOUT = 20.0


class Failed(Exception):
    """A step could not run at all (not an assertion about the app)."""


# ---------------------------------------------------------------------------------------
# Running things


def run(cmd, timeout=60, check=False):
    """Runs a command; returns the CompletedProcess (text output)."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{' '.join(map(str, cmd))} exited {p.returncode}: {first_lines(p.stderr)}"
    return p


def first_lines(text, n=3):
    lines = [l for l in (text or "").splitlines() if l.strip()]
    return " | ".join(lines[:n]) if lines else "(nothing on stderr)"


class ReviewServer:
    """`sieve review CASE --port 0` as a subprocess; its URL read from its first stdout line."""

    def __init__(self, sieve, case, log_path):
        self.sieve, self.case, self.log_path = sieve, case, log_path
        self.proc = None
        self.url = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.sieve, "review", str(self.case), "--examiner", EXAMINER, "--port", "0"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=SERVER_START_TIMEOUT).strip()
        except queue.Empty:
            self.stop()
            raise Failed(f"sieve review printed no URL within {SERVER_START_TIMEOUT:.0f} s (log: {self.log_path})")
        # A random loopback address of its own (127.x.y.z), so its cookie is its alone.
        if not re.match(r"^http://127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+/\?token=[0-9a-f]{64}$", line):
            self.stop()
            raise Failed(f"sieve review's first stdout line is not the expected URL: {line!r} (log: {self.log_path})")
        self.url = line
        parts = urlsplit(line)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.port = parts.port
        self.host = parts.hostname
        self.token = line.split("token=", 1)[1]
        # The session cookie's name is the app's own for this session (sieve_review_ + the
        # token's first 8 hex digits).
        self.cookie_name = "sieve_review_" + self.token[:8]
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=4):
        try:
            return first_lines(Path(self.log_path).read_text(errors="replace"), n)
        except OSError:
            return "(no log)"

    def require_alive(self):
        assert self.alive(), (
            f"the review server is not running (exit status {self.proc.returncode if self.proc else None}); "
            f"its stderr: {self.log_tail()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


# ---------------------------------------------------------------------------------------
# The test


class ReviewE2E:
    def __init__(self, args):
        self.args = args
        self.sieve = str(Path(args.sieve).resolve())
        self.fixtures = Path(args.fixtures).resolve()
        self.hashsets = Path(args.hashsets).resolve()
        self.work = Path(args.work).resolve()
        self.shots = Path(args.screenshots).resolve() if args.screenshots else None
        self.images = self.fixtures / "vectors" / "pdq" / "images"
        self.sample_set = self.hashsets / "sample-fixtures.sieveset"
        self.case = self.work / "case"
        self.failures = []
        self.console_problems = []
        self.notes = set()  # harmless findings, printed at the end
        self.server = None
        # What the scenario decided (file ids), filled in as it goes.
        self.confirmed_first = None  # step 5: confirmed with its ✓ button
        self.false_match = None  # step 5: false match with the x key
        self.group = []  # step 6: the group's files, confirmed and categorised
        self.key_confirmed = None  # step 8: confirmed with the changed key
        self.decisions = 0  # ledger rows the scenario should have written
        self.paths = {}  # file id -> path

    # -- bookkeeping ----------------------------------------------------------------------

    def step(self, number, title, fn):
        started = time.monotonic()
        try:
            detail = fn() or ""
            print(f"step {number:>2} ok   {title}{': ' + detail if detail else ''} ({time.monotonic() - started:.1f} s)", flush=True)
            return True
        except AssertionError as e:
            message = str(e) or traceback.format_exc(limit=2)
        except Exception as e:  # Playwright timeouts, a dead server, …
            message = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        self.failures.append((number, title, message))
        print(f"step {number:>2} FAIL {title}: {message}", flush=True)
        self.failure_shot(number)
        if self.args.fail_fast:
            raise SystemExit(1)
        return False

    def shot(self, name, page=None):
        if self.shots:
            (page or self.page).screenshot(path=str(self.shots / name), full_page=True)

    def failure_shot(self, number):
        if self.shots and getattr(self, "page", None) is not None:
            try:
                self.page.screenshot(path=str(self.shots / f"failed-step-{number}.png"), full_page=True)
            except Exception:
                pass

    def watch(self, page, where):
        """Collects JavaScript errors and console errors (CSP violations among them)."""

        def on_console(msg):
            if msg.type != "error":
                return
            url = (msg.location or {}).get("url", "")
            if url.endswith("/favicon.ico") and "404" in msg.text:
                self.notes.add("the app has no /favicon.ico (Chromium's request for it answers 404)")
                return
            self.console_problems.append(f"[{where}] console error: {msg.text} ({url})")

        page.on("console", on_console)
        page.on("pageerror", lambda err: self.console_problems.append(f"[{where}] JavaScript error: {err}"))

    # -- helpers on pages -----------------------------------------------------------------

    def goto(self, path):
        self.server.require_alive()
        response = self.page.goto(self.server.base + path)
        assert response is not None and response.status == 200, (
            f"GET {path} answered {response.status if response else 'nothing'}")
        return response

    def rows(self, page=None):
        return (page or self.page).locator("tr[data-file]")

    def row_ids(self, page=None):
        return [int(x) for x in (page or self.page).locator("tr[data-file]").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-file'))")]

    def state_of(self, file_id, page=None):
        """The review-state class of a file's row (`confirmed`, `false_match`, `unreviewed`)."""
        badge = (page or self.page).locator(f"tr[data-file='{file_id}'] span.state").first
        classes = (badge.get_attribute("class") or "").split()
        states = [c for c in classes if c in ("confirmed", "false_match", "unreviewed")]
        return states[0] if states else None, badge.inner_text().strip()

    def heading_count(self):
        h1 = self.page.locator("h1").first.inner_text()
        m = re.search(r"\((\d+) files\)", h1)
        assert m, f"the matches heading shows no file count: {h1!r}"
        return int(m.group(1))

    def clear_focus(self):
        self.page.evaluate("() => { if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur(); }")

    def move_current_to(self, file_id, limit=60):
        """Presses the next key until the row of file_id is the current one."""
        for _ in range(limit):
            current = self.page.locator("tr.current")
            if current.count() == 1 and current.get_attribute("data-file") == str(file_id):
                return
            self.page.keyboard.press("j")
        raise AssertionError(f"pressing j {limit} times never made the row of file {file_id} current "
                             f"(current: {self.page.locator('tr.current').evaluate_all('r => r.map(x => x.id)')})")

    def csrf(self):
        token = self.page.locator("body").get_attribute("data-csrf")
        assert token and re.fullmatch(r"[0-9a-f]{64}", token), f"the page carries no CSRF token (data-csrf={token!r})"
        return token

    def ledger_rows(self, case=None):
        db = sqlite3.connect(f"file:{case or self.case}/case.sqlite?mode=ro", uri=True)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM review_ledger ORDER BY seq")]
        finally:
            db.close()

    def verify(self, case):
        return run([self.sieve, "review", "verify", str(case)])

    # -- the scenario -----------------------------------------------------------------------

    def prepare(self):
        for p in (self.sieve, self.images, self.sample_set):
            if not Path(p).exists():
                raise Failed(f"missing: {p}")
        self.work.mkdir(parents=True, exist_ok=True)
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)
            for old in self.shots.glob("failed-step-*.png"):
                old.unlink()
        for name in ("case", "tamper-edited", "tamper-removed", "tamper-state", "tamper-cut"):
            shutil.rmtree(self.work / name, ignore_errors=True)
        for name in ("server.log", "report.html", "negative.sieveset", "confirmed.sieveset", "vics.json",
                     "cli-negative.sieveset", "cli-confirmed.sieveset"):
            (self.work / name).unlink(missing_ok=True)
        p = run([self.sieve, "scan", str(self.images), "--hashset", str(self.sample_set), "--case", str(self.case),
                 "--examiner", "T. Tester", "--case-id", "DEMO-1"], timeout=60)
        if p.returncode != 0:
            raise Failed(f"sieve scan exited {p.returncode}: {first_lines(p.stderr)}")
        self.server = ReviewServer(self.sieve, self.case, self.work / "server.log").start()
        print(f"case made in {self.case}; review server at {self.server.base}", flush=True)

    def step1_overview(self):
        response = self.page.goto(self.server.url)
        assert response is not None and response.status == 200, f"opening the printed URL answered {response and response.status}"
        redirect = response.request.redirected_from
        assert redirect is not None, "opening the URL with ?token= did not redirect (the token should leave the address bar)"
        first = redirect.response()
        assert first.status == 303, f"the token URL answered {first.status}, not 303"
        set_cookie = first.header_value("set-cookie") or ""
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie, f"session cookie flags missing: {set_cookie!r}"
        assert "token=" not in self.page.url, f"the token is still in the address bar: {self.page.url}"
        cookies = {c["name"]: c for c in self.page.context.cookies()}
        name = self.server.cookie_name
        assert name in cookies and cookies[name]["httpOnly"], f"no HttpOnly session cookie {name}: {cookies}"
        assert cookies[name]["domain"] == self.server.host, f"the cookie is not kept for the session's own address: {cookies[name]}"
        csp = response.header_value("content-security-policy")
        assert csp, "the overview response has no Content-Security-Policy header"
        for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
            assert directive in csp, f"the CSP lacks {directive!r}: {csp}"
        assert (response.header_value("x-frame-options") or "").upper() == "DENY", "no X-Frame-Options: DENY"
        card = self.page.locator(".card", has=self.page.locator(".t", has_text="matched files"))
        matched = card.locator(".n").inner_text().strip()
        assert matched == str(MATCHED_FILES), f"the overview shows {matched} matched files, expected {MATCHED_FILES}"
        self.shot("review-overview.png")
        return f"{matched} matched files; CSP: {csp[:40]}…"

    def step2_refusals(self, browser):
        base = self.server.base
        # A fresh context has no cookie.
        stranger = browser.new_context()
        try:
            r = stranger.request.get(base + "/matches", max_redirects=0)
            assert r.status == 403, f"/matches without the session cookie answered {r.status}, not 403"
            assert r.headers.get("content-security-policy"), "the 403 answer has no CSP header"
            page = stranger.new_page()
            resp = page.goto(base + "/files/1")
            assert resp.status == 403, f"a page opened in a fresh browser context answered {resp.status}, not 403"
            r = stranger.request.get(base + "/?token=" + "0" * 64, max_redirects=0)
            assert r.status == 403, f"a wrong token answered {r.status}, not 403"
            assert "set-cookie" not in r.headers, "a wrong token was given a cookie"
        finally:
            stranger.close()
        request = self.page.context.request
        csrf = self.csrf()
        r = request.post(base + "/decide", form={"act": f"confirm:1", "back": "/matches"}, max_redirects=0)
        assert r.status == 403, f"POST /decide without the csrf field answered {r.status}, not 403"
        r = request.post(base + "/decide", form={"csrf": "0" * 64, "act": "confirm:1", "back": "/matches"}, max_redirects=0)
        assert r.status == 403, f"POST /decide with a wrong csrf answered {r.status}, not 403"
        # With the right token the same route works (an unknown decision: 400, nothing recorded).
        r = request.post(base + "/decide", form={"csrf": csrf, "act": "bogus:1", "back": "/matches"}, max_redirects=0)
        assert r.status == 400, f"POST /decide with the csrf and an unknown decision answered {r.status}, not 400"
        # Another site's form, even with the cookie and token: refused.
        r = request.post(base + "/decide", form={"csrf": csrf, "act": "bogus:1"}, headers={"Origin": "http://evil.example"},
                         max_redirects=0)
        assert r.status == 403, f"POST /decide from Origin http://evil.example answered {r.status}, not 403"
        r = request.post(base + "/decide", form={"csrf": csrf, "act": "bogus:1"}, headers={"Sec-Fetch-Site": "cross-site"},
                         max_redirects=0)
        assert r.status == 403, f"POST /decide with Sec-Fetch-Site: cross-site answered {r.status}, not 403"
        # A DNS-rebinding page names another host: refused even with the cookie.
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=5)
        try:
            conn.request("GET", "/matches", headers={"Host": f"evil.example:{self.server.port}",
                                                     "Cookie": f"{self.server.cookie_name}={self.server.token}"})
            status = conn.getresponse().status
        finally:
            conn.close()
        assert status == 421, f"a request with Host evil.example answered {status}, not 421"
        return "no cookie 403, wrong token 403, no/wrong csrf 403, foreign Origin/Sec-Fetch-Site 403, foreign Host 421"

    def step3_filters(self):
        self.server.require_alive()
        with self.page.expect_navigation():
            self.page.click("nav a[href='/matches']")
        assert self.page.locator("#tick-all").is_visible(), "review.js did not run (the tick-all box stays hidden)"
        total = self.heading_count()
        assert total == MATCHED_FILES, f"/matches lists {total} files, expected {MATCHED_FILES}"
        for tr in self.rows().all():
            self.paths[int(tr.get_attribute("data-file"))] = tr.locator("code").first.inner_text().strip()
        blurred = self.page.locator("img.thumb.blurred").count()
        assert blurred == MATCHED_FILES, f"{blurred} of {MATCHED_FILES} thumbnails are blurred on a fresh match list"
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
        side = self.page.locator("img.thumb").first.evaluate("i => Math.max(i.naturalWidth, i.naturalHeight)")
        assert side == 8, f"a blurred thumbnail is {side} px a side, expected 8 (the default blur)"
        self.shot("review-matches.png")
        # kind pdq, distance <= 0: every file has an exact PDQ match.
        form = self.page.locator("form#filters")
        form.locator("select[name=kind]").select_option("pdq")
        form.locator("input[name=max]").fill("0")
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "kind=pdq" in self.page.url and "max=0" in self.page.url, f"the filter form went to {self.page.url}"
        n, shown = self.heading_count(), self.rows().count()
        assert n == MATCHED_FILES and shown == MATCHED_FILES, f"kind=pdq max=0 lists {n} files ({shown} rows), expected {MATCHED_FILES}"
        assert self.page.locator("form#filters select[name=kind]").input_value() == "pdq", "the kind filter is not kept"
        # state confirmed: none yet.
        self.goto("/matches")
        form = self.page.locator("form#filters")
        form.locator("select[name=state]").select_option("confirmed")
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        n, shown = self.heading_count(), self.rows().count()
        assert n == 0 and shown == 0, f"state=confirmed lists {n} files ({shown} rows) before any decision, expected 0"
        return f"all {MATCHED_FILES} blurred; kind=pdq&max=0 → {MATCHED_FILES}; state=confirmed → 0"

    def step4_reveal(self):
        self.goto("/matches")
        url = self.page.url
        first, second = self.rows().nth(0), self.rows().nth(1)
        id1, id2 = first.get_attribute("data-file"), second.get_attribute("data-file")
        img1, img2 = first.locator("a.reveal img"), second.locator("a.reveal img")

        def revealed(img, file_id):
            src, cls = img.get_attribute("src"), img.get_attribute("class").split()
            return src.endswith(f"/thumbs/{file_id}?reveal=1") and "blurred" not in cls

        first.locator("a.reveal").click()
        self.page.wait_for_function("img => !img.classList.contains('blurred')", arg=img1.element_handle())
        assert revealed(img1, id1), f"after a click the first thumbnail is src={img1.get_attribute('src')} class={img1.get_attribute('class')}"
        assert self.page.url == url, f"revealing navigated away ({self.page.url}): the script should reveal in place"
        self.page.wait_for_function("img => img.complete && img.naturalWidth > 8", arg=img1.element_handle())
        side = img1.evaluate("i => Math.max(i.naturalWidth, i.naturalHeight)")
        assert 8 < side <= 240, f"the revealed thumbnail is {side} px a side, expected more than the blur and at most 240"
        second.locator("a.reveal").click()
        self.page.wait_for_function("img => !img.classList.contains('blurred')", arg=img2.element_handle())
        assert revealed(img2, id2), f"after a click the second thumbnail is src={img2.get_attribute('src')} class={img2.get_attribute('class')}"
        cls1, src1 = img1.get_attribute("class").split(), img1.get_attribute("src")
        assert "blurred" in cls1 and src1.endswith(f"/thumbs/{id1}"), (
            f"revealing the second did not blur the first again (src={src1}, class={cls1})")
        unblurred = self.page.locator("img.thumb:not(.blurred)").count()
        assert unblurred == 1, f"{unblurred} thumbnails are unblurred, expected exactly one"
        return f"file {id1} revealed, then file {id2} revealed and {id1} blurred again"

    def step5_decide(self):
        # The path filter keeps this step's files apart from the group of step 6 (the four
        # bridge-mods pictures), so that the false match made here stays one to the end.
        self.goto("/matches")
        form = self.page.locator("form#filters")
        form.locator("input[name=q]").fill("labelme-subset")
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        ids = self.row_ids()
        assert len(ids) >= 2, f"the path filter labelme-subset lists {len(ids)} rows, expected 3"
        a, b = ids[0], ids[1]
        with self.page.expect_navigation():
            self.page.click(f"tr[data-file='{a}'] button[value='confirm:{a}']")
        self.decisions += 1
        assert "q=labelme-subset" in self.page.url, f"after the decision the list lost its filter: {self.page.url}"
        assert self.page.url.endswith(f"#f{a}"), f"after the decision the page did not come back to the row: {self.page.url}"
        state, text = self.state_of(a)
        assert state == "confirmed" and text == "confirmed", f"after ✓ the row of file {a} reads {text!r} ({state})"
        self.confirmed_first = a
        self.clear_focus()
        self.move_current_to(b)
        with self.page.expect_navigation():
            self.page.keyboard.press("x")
        self.decisions += 1
        state, text = self.state_of(b)
        assert state == "false_match" and text == "false match", f"after the x key the row of file {b} reads {text!r} ({state})"
        state, _ = self.state_of(a)
        assert state == "confirmed", f"the x key changed file {a} too (now {state})"
        self.false_match = b
        return f"file {a} confirmed (✓), file {b} false match (j…, x)"

    def step6_groups(self):
        self.goto("/groups")
        group = self.page.locator("#g1")
        assert group.count() == 1, "no group 1 on /groups"
        members = [int(x) for x in group.locator("tr[data-file]").evaluate_all("r => r.map(x => x.getAttribute('data-file'))")]
        assert len(members) == GROUP_SIZE, f"group 1 has {len(members)} members, expected {GROUP_SIZE}"
        paths = group.locator("tr[data-file] code").all_inner_texts()
        assert all("/bridge-mods/" in p for p in paths), f"group 1 is not the bridge-mods pictures: {paths}"
        form = group.locator("form")
        form.locator("select[name=category]").select_option(str(GROUP_CATEGORY))
        with self.page.expect_navigation():
            form.locator("button[value=categorise]").click()
        self.decisions += GROUP_SIZE
        group = self.page.locator("#g1")
        cats = group.locator("tr[data-file] span.cat").all_inner_texts()
        assert len(cats) == GROUP_SIZE and all(GROUP_CATEGORY_WORD in c and str(GROUP_CATEGORY) in c for c in cats), (
            f"after categorising group 1 as {GROUP_CATEGORY} its category badges are {cats}")
        with self.page.expect_navigation():
            group.locator("form button[value=confirm]").click()
        self.decisions += GROUP_SIZE
        group = self.page.locator("#g1")
        states = [self.state_of(m)[0] for m in members]
        assert states == ["confirmed"] * GROUP_SIZE, f"after confirming group 1 its states are {states}"
        cats = group.locator("tr[data-file] span.cat").all_inner_texts()
        assert len(cats) == GROUP_SIZE, f"confirming the group lost categories: {cats}"
        self.group = members
        self.shot("review-groups.png")
        # The detail page of one member: its state, category and history.
        one = members[0]
        self.goto(f"/files/{one}")
        h1 = self.page.locator("h1").inner_text()
        assert "confirmed" in h1 and GROUP_CATEGORY_WORD in h1, f"/files/{one} heading: {h1!r}"
        assert self.page.locator("form#decisions input[type=hidden][name=file]").get_attribute("value") == str(one), (
            "the detail page's decision form is not for its file")
        history = self.page.locator("table", has=self.page.locator("th", has_text="Examiner")).locator("tr:has(td)")
        assert history.count() == 2, f"/files/{one} shows {history.count()} decisions, expected 2 (categorise, confirm)"
        texts = history.all_inner_texts()
        assert all(EXAMINER in t for t in texts), f"the history does not name the examiner {EXAMINER}: {texts}"
        assert self.page.locator("img.thumb.blurred").count() == 1, "the detail page's thumbnail is not blurred"
        self.shot("review-file.png")
        return f"group 1 (files {members}) categorised {GROUP_CATEGORY} ({GROUP_CATEGORY_WORD}) and confirmed; /files/{one} shows 2 decisions"

    def step7_similar(self):
        picture = self.images / "misc-images" / "wee.jpg"
        self.goto("/similar")
        self.page.locator("form#drop input[name=image]").set_input_files(str(picture))
        with self.page.expect_navigation():
            self.page.locator("form#drop button[type=submit]").click()
        rows = self.rows()
        assert rows.count() >= 1, f"uploading {picture.name} listed no files ({self.page.locator('main').inner_text()[:200]!r})"
        first = rows.nth(0)
        distance = first.locator("td").nth(1).inner_text().strip()
        path = first.locator("td").nth(2).inner_text().strip()
        assert distance == "0", f"the closest file to the dropped-in {picture.name} is at distance {distance}, expected 0"
        assert path.endswith("/wee.jpg"), f"the closest file to the dropped-in picture is {path}, expected …/wee.jpg"
        assert self.page.locator("img.thumb:not(.blurred)").count() == 0, "a result thumbnail is shown unblurred"
        wee = int(first.get_attribute("data-file"))
        self.shot("review-similar.png")
        self.goto(f"/similar?file={wee}")
        first = self.rows().nth(0)
        assert first.get_attribute("data-file") == str(wee) and first.locator("td").nth(1).inner_text().strip() == "0", (
            f"/similar?file={wee} does not list the file itself first at distance 0")
        return f"upload of {picture.name} → file {wee} at distance 0; /similar?file={wee} agrees"

    def step8_settings(self):
        self.goto("/settings")
        form = self.page.locator("form[action='/settings']")
        form.locator("input[name=blur]").fill("12")
        form.locator("input[name=key_confirm]").fill("y")
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert urlsplit(self.page.url).path == "/settings", f"saving settings went to {self.page.url}"
        self.page.reload()
        blur = self.page.locator("input[name=blur]").input_value()
        key = self.page.locator("input[name=key_confirm]").input_value()
        assert blur == "12" and key == "y", f"after saving and reloading, blur={blur!r} confirm key={key!r} (expected 12, y)"
        shortcuts = json.loads(self.page.locator("body").get_attribute("data-shortcuts"))
        assert shortcuts.get("confirm") == "y", f"the page's shortcuts do not have y for confirm: {shortcuts}"
        self.goto("/matches")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
        side = self.page.locator("img.thumb").first.evaluate("i => Math.max(i.naturalWidth, i.naturalHeight)")
        assert side == 12, f"with blur 12 a blurred thumbnail is {side} px a side, expected 12"
        target = None
        for file_id in self.row_ids():
            if self.state_of(file_id)[0] == "unreviewed":
                target = file_id
                break
        assert target is not None, "no unreviewed row left on /matches for the y key"
        self.clear_focus()
        self.move_current_to(target)
        # The old key no longer decides.
        self.page.keyboard.press("c")
        self.page.wait_for_timeout(300)
        assert self.state_of(target)[0] == "unreviewed", "the old confirm key c still confirmed a file"
        with self.page.expect_navigation():
            self.page.keyboard.press("y")
        self.decisions += 1
        state, text = self.state_of(target)
        assert state == "confirmed" and text == "confirmed", f"after the y key the row of file {target} reads {text!r} ({state})"
        self.key_confirmed = target
        return f"blur 12 and confirm key y kept; y confirmed file {target} ({Path(self.paths.get(target, '?')).name})"

    def step9_exports(self):
        self.goto("/exports")
        text = self.page.locator("main").inner_text()
        m = re.search(r"The chain is intact: (\d+) decisions, head ([0-9a-f]{64})", text)
        assert m, f"/exports does not say the chain is intact: {text[:200]!r}"
        assert int(m.group(1)) == self.decisions, f"/exports counts {m.group(1)} decisions, the scenario made {self.decisions}"
        self.shot("review-exports.png")
        saved = {}

        def download(kind, name):
            self.server.require_alive()
            try:
                with self.page.expect_download(timeout=10000) as download:
                    self.page.click(f"form[action='/exports/{kind}'] button[type=submit]")
                download.value.path()
            except Exception as e:
                raise AssertionError(
                    f"no {kind} export downloaded ({type(e).__name__}); the review server is "
                    + ("still running" if self.server.alive() else f"dead, its stderr: {self.server.log_tail(2)}")) from None
            path = self.work / name
            download.value.save_as(str(path))
            saved[kind] = path
            assert path.stat().st_size > 0, f"the {kind} export is empty"
            assert self.server.alive(), f"the review server died serving the {kind} export: {self.server.log_tail(2)}"

        download("negative", "negative.sieveset")
        info = run([self.sieve, "hashset", "info", str(saved["negative"])], check=True).stdout
        assert re.search(r"\b1 entries\b", info), f"the negative list should hold 1 entry (file {self.false_match}): {info!r}"
        download("confirmed", "confirmed.sieveset")
        expected_confirmed = len({self.confirmed_first, self.key_confirmed, *self.group})
        info = run([self.sieve, "hashset", "info", str(saved["confirmed"])], check=True).stdout
        assert re.search(rf"\b{expected_confirmed} entries\b", info), f"the confirmed set should hold {expected_confirmed} entries: {info!r}"
        assert re.search(rf"labels:.*\b{GROUP_CATEGORY}\b", info), f"the confirmed set carries no label {GROUP_CATEGORY}: {info!r}"
        download("vics", "vics.json")
        self.check_vics(json.loads(saved["vics"].read_text()))
        return f"intact with {m.group(1)} decisions; downloaded {', '.join(p.name for p in saved.values())}"

    def check_vics(self, vics):
        """The VICS export: every matched file once, the group with its category, the false match without one."""
        media = vics.get("value")
        assert isinstance(media, list), f"the VICS export has no media list: {str(vics)[:200]}"
        by_name = {}
        for record in media:
            by_name.setdefault(record.get("FileName"), []).append(record)
        false_name = Path(self.paths[self.false_match]).name
        for file_id, path in self.paths.items():
            name = Path(path).name
            if name == false_name:
                continue
            count = len(by_name.get(name, []))
            assert count == 1, f"the VICS export has {count} records for the matched file {name}, expected 1"
        for file_id in self.group:
            record = by_name[Path(self.paths[file_id]).name][0]
            assert record.get("Category") == GROUP_CATEGORY, (
                f"VICS: {record['FileName']} (confirmed, categorised {GROUP_CATEGORY}) has Category "
                f"{record.get('Category')!r}, expected {GROUP_CATEGORY}")
        false_records = by_name.get(false_name, [])
        assert len(false_records) <= 1, f"the VICS export has {len(false_records)} records for {false_name}"
        for record in false_records:
            assert "Category" not in record, f"VICS: the false match {false_name} is exported with Category {record['Category']!r}"

    def step10_ledger(self, browser):
        self.server.stop()
        assert self.server.proc.returncode is not None, "the review server did not stop"
        rows = self.ledger_rows()
        assert len(rows) >= 8, f"the ledger has {len(rows)} rows, expected at least 8"
        assert len(rows) == self.decisions, f"the ledger has {len(rows)} rows, the scenario made {self.decisions} decisions"
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)), f"seq is not 1…n: {[r['seq'] for r in rows]}"
        examiners = {r["examiner"] for r in rows}
        assert examiners == {EXAMINER}, f"the ledger names examiners {examiners}, expected only {EXAMINER!r}"
        for before, row in zip([None] + rows[:-1], rows):
            expected = before["hash"] if before else "0" * 64
            assert row["previous_hash"] == expected, f"row {row['seq']} does not link to the row before"
        head_before = rows[-1]["hash"]
        p = self.verify(self.case)
        assert p.returncode == 0, f"sieve review verify exited {p.returncode}: {p.stdout.strip()} {first_lines(p.stderr)}"
        assert p.stdout.strip() == f"intact: {len(rows)} decisions, head {head_before}", f"verify printed {p.stdout.strip()!r}"

        def tampered(name, sql, refused_sql=None):
            copy = self.work / name
            shutil.copytree(self.case, copy)
            db = sqlite3.connect(copy / "case.sqlite")
            try:
                if refused_sql:
                    try:
                        db.execute(refused_sql)
                        db.commit()
                        raise AssertionError(f"the database allowed {refused_sql!r} on the ledger (append-only trigger missing)")
                    except sqlite3.DatabaseError as e:
                        assert "append-only" in str(e), f"{refused_sql!r} failed, but not by the append-only trigger: {e}"
                        db.rollback()
                db.executescript(sql)
                db.commit()
            finally:
                db.close()
            return copy, self.verify(copy)

        middle = len(rows) // 2
        copy, p = tampered(
            "tamper-edited",
            "DROP TRIGGER review_ledger_append_only_update; UPDATE review_ledger SET note = 'changed later' WHERE seq = 3;",
            refused_sql="UPDATE review_ledger SET note = 'changed later' WHERE seq = 3")
        assert p.returncode == 1, f"verify of a ledger with an edited note exited {p.returncode}: {p.stdout.strip()}"
        assert "BROKEN" in p.stdout and "edited" in p.stderr, f"verify of an edited row: {p.stdout.strip()!r} {first_lines(p.stderr)}"
        copy, p = tampered(
            "tamper-removed",
            f"DROP TRIGGER review_ledger_append_only_delete; DELETE FROM review_ledger WHERE seq = {middle};",
            refused_sql=f"DELETE FROM review_ledger WHERE seq = {middle}")
        assert p.returncode == 1, f"verify of a ledger with row {middle} deleted exited {p.returncode}: {p.stdout.strip()}"
        assert re.search(r"missing|removed", p.stderr), f"verify of a deleted row does not say missing/removed: {first_lines(p.stderr)}"
        copy, p = tampered(
            "tamper-state",
            f"UPDATE review_state SET state = 'false_match' WHERE file_id = {self.group[0]};")
        assert p.returncode == 1, f"verify after review_state was changed behind the ledger exited {p.returncode}: {p.stdout.strip()}"
        assert "review_state" in p.stderr or "current review" in p.stderr, f"verify of a changed review_state: {first_lines(p.stderr)}"
        # Rows cut off the end are only found against a head noted earlier.
        copy, p = tampered(
            "tamper-cut", f"DROP TRIGGER review_ledger_append_only_delete; DELETE FROM review_ledger WHERE seq = {len(rows)};")
        p = run([self.sieve, "review", "verify", str(copy), "--head", head_before])
        assert p.returncode == 1 and "not in the ledger" in p.stderr, (
            f"verify --head of a ledger with its last row cut off exited {p.returncode}: {first_lines(p.stderr)}")
        # The settings are kept in the case: a new session has them.
        server = ReviewServer(self.sieve, self.case, self.work / "server.log").start()
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            self.watch(page, "restarted")
            page.goto(server.url.replace("/?token=", "/settings?token="))
            blur = page.locator("input[name=blur]").input_value()
            key = page.locator("input[name=key_confirm]").input_value()
            assert blur == "12" and key == "y", f"after a restart the settings are blur={blur!r} key={key!r}, expected 12 and y"
        finally:
            context.close()
            server.stop()
        p = self.verify(self.case)
        assert p.returncode == 0, f"verify after the restart exited {p.returncode}: {first_lines(p.stderr)}"
        return (f"{len(rows)} rows by {EXAMINER}, seq 1…{len(rows)}, verify intact; edited row, deleted row {middle}, "
                f"changed review_state and cut-off end (--head) all found; settings kept across a restart")

    def step11_cli_exports(self):
        negative, confirmed = self.work / "cli-negative.sieveset", self.work / "cli-confirmed.sieveset"
        p = run([self.sieve, "review", "export", str(self.case), "--negative", str(negative), "--confirmed", str(confirmed)])
        assert p.returncode == 0, f"sieve review export exited {p.returncode}: {first_lines(p.stderr)}"
        assert negative.stat().st_size > 0 and confirmed.stat().st_size > 0, "sieve review export wrote empty files"
        false_path = self.paths[self.false_match]

        def pdq_matches(extra):
            p = run([self.sieve, "match", "--hashset", str(self.sample_set), *extra, "--format", "jsonl", str(self.images)])
            assert p.returncode == 0, f"sieve match {' '.join(extra)} exited {p.returncode}: {first_lines(p.stderr)}"
            lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
            return lines, [l for l in lines if l.get("path") == false_path and l.get("kind") == "pdq"]

        everything, before = pdq_matches([])
        assert before, f"without --negative, {false_path} should have a pdq match"
        kept, after = pdq_matches(["--negative", str(negative)])
        assert not after, (f"with the negative list, {Path(false_path).name} (decided a false match) still has "
                           f"{len(after)} pdq match(es): " + ", ".join(f"{l['id']} at {l['distance']}" for l in after))
        others = {l["path"] for l in kept}
        assert len(others) == MATCHED_FILES - 1, f"with the negative list {len(others)} files match, expected {MATCHED_FILES - 1}"
        return f"{Path(false_path).name}: {len(before)} pdq match(es) without --negative, 0 with; {len(others)} other files still match"

    def step12_report(self, browser):
        report = self.work / "report.html"
        p = run([self.sieve, "report", str(self.case), "--format", "html", "--thumbnails", "-o", str(report)])
        assert p.returncode == 0, f"sieve report --format html exited {p.returncode}: {first_lines(p.stderr, 2)}"
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            self.watch(page, "report")
            response = page.goto(report.as_uri())
            assert response is None or response.ok, f"the report did not load ({response.status})"
            text = page.locator("body").inner_text()
            assert "DEMO-1" in text + page.title(), "the report does not name the case (DEMO-1)"
            assert "confirmed" in text, "the report does not show the review states (no 'confirmed' in it)"
            entries = page.locator(".file-entry").count()
            # The redesigned report has one .file-entry per matched file; before it, none.
            if entries > 0:
                assert entries == MATCHED_FILES, f"the report has {entries} .file-entry elements, expected {MATCHED_FILES}"
            # Reported, not asserted (yet): how many of its thumbnails are blurred.
            blurred = page.locator("img").evaluate_all(
                "imgs => [imgs.length, imgs.filter(i => getComputedStyle(i).filter.includes('blur')).length]")
            self.shot("report.png", page)
        finally:
            context.close()
        return f"{report.name} loads, shows review states; .file-entry: {entries}; thumbnails blurred: {blurred[1]} of {blurred[0]}"

    def run_all(self):
        started = time.monotonic()
        try:
            self.prepare()
        except Failed as e:
            print(f"could not start: {e}", flush=True)
            return 2
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=self.args.chromium, args=["--no-sandbox"], headless=True)
                try:
                    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
                    context.set_default_timeout(10000)
                    self.page = context.new_page()
                    self.watch(self.page, "review")
                    self.step(1, "overview", self.step1_overview)
                    self.step(2, "refusals", lambda: self.step2_refusals(browser))
                    self.step(3, "match filters", self.step3_filters)
                    self.step(4, "reveal one at a time", self.step4_reveal)
                    self.step(5, "decide: ✓ button, j and x keys", self.step5_decide)
                    self.step(6, "groups and file detail", self.step6_groups)
                    self.step(7, "find similar", self.step7_similar)
                    self.step(8, "settings and a changed shortcut", self.step8_settings)
                    self.step(9, "ledger status and exports", self.step9_exports)
                    self.page = None
                    self.step(10, "ledger, verify and tampering", lambda: self.step10_ledger(browser))
                    self.step(11, "CLI export and --negative", self.step11_cli_exports)
                    self.step(12, "static report", lambda: self.step12_report(browser))

                    def console():
                        assert not self.console_problems, (
                            f"{len(self.console_problems)} console problem(s): " + " || ".join(self.console_problems[:5]))
                        return "no JavaScript errors, CSP violations or failed loads"

                    self.step(13, "browser console", console)
                finally:
                    browser.close()
        finally:
            if self.server:
                self.server.stop()
        elapsed = time.monotonic() - started
        for note in sorted(self.notes):
            print(f"note: {note}")
        if self.failures:
            print(f"FAILED: {len(self.failures)} step(s) in {elapsed:.1f} s: " + ", ".join(str(n) for n, _, _ in self.failures))
            print(f"server log: {self.work / 'server.log'}")
            return 1
        print(f"PASSED: all steps in {elapsed:.1f} s" + (f"; screenshots in {self.shots}" if self.shots else ""))
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sieve", required=True, help="the sieve binary")
    parser.add_argument("--fixtures", required=True, help="Tests/Fixtures")
    parser.add_argument("--hashsets", required=True, help="the hashsets folder (sample-fixtures.sieveset)")
    parser.add_argument("--work", required=True, help="a scratch folder (case, exports, copies)")
    parser.add_argument("--screenshots", help="save full-page screenshots here")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the Chromium binary (default {CHROMIUM})")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failing step")
    args = parser.parse_args()
    sys.exit(ReviewE2E(args).run_all())


if __name__ == "__main__":
    main()
