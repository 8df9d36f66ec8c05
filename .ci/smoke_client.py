"""The production smoke test's client: a running portal seen from outside, as a browser sees it.

    python3 .ci/smoke_client.py --base http://127.0.0.1:8000 --manage "python manage.py"

Against a portal with the demo data (`manage.py load_demo`) under the production settings, with
a Celery worker: /health/ answers ok; the coordinator signs in with the login form and logs a
visit on the day page (marks a planned visit of today done, or adds an unplanned one); the
officer starts a reconciliation of last month in the admin, and the worker finishes it (polled
with `--manage … shell`, the only way in that does not depend on page wording); /health/ again.
Standard library only (it runs outside the image, on the CI machine's python3). Every request
carries X-Forwarded-Proto: https, as the reverse proxy's would: the production settings redirect
plain HTTP and mark their cookies Secure, so cookies are kept here by hand. Exits 1 on the first
failed check, saying which.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Any

DEMO_PASSWORD = "pilot-demo-2026"  # noqa: S105 - the demo's published password (README)


def say(message: str) -> None:
    print(f"[smoke {datetime.datetime.now(datetime.UTC):%H:%M:%S}] {message}", flush=True)


def fail(message: str) -> None:
    say(f"FAILED: {message}")
    sys.exit(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer to check, not to follow blindly


class Forms(HTMLParser):
    """Every <form> of a page: its action and the fields a browser would send by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "options": {}})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                form["options"].setdefault(name, []).append((a.get("value", "on"), "checked" in a))
            elif kind not in ("submit", "button", "file"):
                form["fields"][name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            form["options"].setdefault(name, [])
        elif tag == "option" and self._select:
            form["options"][self._select].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            form["fields"][name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_data(form: dict[str, Any], **overrides: str) -> dict[str, str]:
    """What the browser sends: the fields, each choice's selected (else first real) option."""
    data = dict(form["fields"])
    for name, options in form["options"].items():
        chosen = [value for value, selected in options if selected and value]
        real = [value for value, _ in options if value]
        if chosen or real:
            data[name] = (chosen or real)[0]
    data.update(overrides)
    return data


class Client:
    """A browser of one user: its cookies, CSRF token and the proxy's HTTPS header."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 base
            self.base + path, data=body, method=method, headers=headers
        )
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        return response.status, dict(response.headers), text

    def get(self, path: str, expect: int = 200) -> str:
        status, headers, text = self.request("GET", path)
        if status in (301, 302) and expect == 200:  # e.g. a trailing slash or a language
            location = urllib.parse.urlsplit(headers.get("Location", ""))
            return self.get(location.path + (f"?{location.query}" if location.query else ""))
        if status != expect:
            fail(f"GET {path} answered {status}, expected {expect}: {text[:300]!r}")
        return text

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        status, headers, text = self.request("POST", path, data)
        return status, headers.get("Location", ""), text

    def login(self, username: str) -> None:
        page = self.get("/accounts/login/")
        forms = Forms()
        forms.feed(page)
        fields = form_data(forms.forms[-1], username=username, password=DEMO_PASSWORD)
        status, location, text = self.post("/accounts/login/", fields)
        if status != 302 or "sessionid" not in self.cookies:
            fail(f"login as {username} answered {status} (no session): {errors(text)}")
        say(f"signed in as {username} (→ {location})")


def errors(page: str) -> str:
    found = re.findall(r'class="[^"]*(?:errorlist|error|alert)[^"]*"[^>]*>(.*?)</', page, re.S)
    return "; ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in found)[:500]


def form_with_action(page: str, suffix: str, *, own: str = "") -> dict[str, Any]:
    """The page's form posting to a path ending with `suffix`; a form with no action posts to
    the page itself, `own`."""
    forms = Forms()
    forms.feed(page)
    for form in forms.forms:
        if (form["action"] or own).split("?")[0].endswith(suffix):
            return form
    fail(f"no form posting to …{suffix} on the page")
    raise AssertionError  # for the type checker: fail() exits


def form_with_field(page: str, field: str) -> dict[str, Any]:
    forms = Forms()
    forms.feed(page)
    for form in forms.forms:
        if field in form["fields"]:
            return form
    fail(f"no form with the field {field} on the page")
    raise AssertionError


def check_health(client: Client) -> None:
    status, _, text = client.request("GET", "/health/")
    try:
        report = json.loads(text)
    except ValueError:
        report = {}
    if status != 200 or report.get("database") != "ok" or report.get("redis") != "ok":
        fail(f"/health/ answered {status}: {text[:300]}")
    say(f"/health/ ok: {report}")


def log_visit(base: str) -> None:
    """The coordinator marks one of today's planned visits done on its page, or (a day without
    a plan) adds an unplanned one, and finds it done on the day page."""
    coordinator = Client(base)
    coordinator.login("coord.solnechny")
    day = coordinator.get("/visits/")
    planned = re.findall(r'<li class="visit visit-planned[^"]*">\s*<a href="(/visits/(\d+)/)"', day)
    if planned:
        path, pk = planned[0]
        page = coordinator.get(path)
        form = form_with_action(page, f"/visits/{pk}/done/")
        status, location, text = coordinator.post(f"/visits/{pk}/done/", form_data(form))
        if status != 302:
            fail(f"marking visit {pk} done answered {status}: {errors(text)}")
        say(f"visit {pk} of today marked done by the coordinator")
    else:
        page = coordinator.get("/visits/new/")
        form = form_with_action(page, "/visits/new/", own="/visits/new/")
        data = form_data(form, status="done", start="10:00", end="11:00")
        status, location, text = coordinator.post("/visits/new/", data)
        if status != 302:
            fail(f"adding an unplanned visit answered {status}: {errors(text)}")
        pk = location.rstrip("/").rsplit("/", 1)[-1]
        say(f"no visit planned today: unplanned visit {pk} added as done by the coordinator")
    day = coordinator.get("/visits/")
    if not re.search(rf'<li class="visit visit-done[^"]*">\s*<a href="/visits/{pk}/"', day):
        fail(f"visit {pk} is not shown done on the coordinator's day page")
    say(f"visit {pk} shown done on the day page")


def manage(command: list[str], code: str) -> str:
    result = subprocess.run(  # noqa: S603 - the CI's own command line
        [*command, "shell", "-c", code], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        fail(f"manage.py shell failed: {result.stderr[-800:]}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def reconcile(base: str, command: list[str], wait: int) -> None:
    """The officer starts a reconciliation of last month in the admin; the worker runs it."""
    officer = Client(base)
    officer.login("officer")
    today = datetime.date.today()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    add = "/admin/reconciliation/reconciliationrun/add/"
    latest = (
        "from reconciliation.models import ReconciliationRun as R; "
        "r = R.objects.order_by('-pk').first(); "
        "print(r.pk if r else 0, r.status if r else '-', r.percent if r else 0, "
        "r.requested_by.username if r and r.requested_by else '-', r.visits_checked if r else 0)"
    )
    before = int(manage(command, latest).split()[0])
    page = officer.get(add)
    form = form_with_field(page, "period_start")
    data = form_data(form, period_start=start.isoformat(), period_end=end.isoformat())
    status, location, text = officer.post(add, data)
    if status != 302 or not location.rstrip("/").endswith("reconciliationrun"):
        fail(f"starting the reconciliation answered {status} → {location}: {errors(text)}")
    say(f"officer started the reconciliation of {start} – {end} in the admin")
    deadline = time.monotonic() + wait
    while True:
        pk, run_status, percent, requester, checked = manage(command, latest).split()
        if int(pk) <= before:
            fail("no reconciliation run was created")
        if run_status in ("done", "failed"):
            break
        if time.monotonic() > deadline:
            fail(f"run {pk} still {run_status} ({percent} %) after {wait} s: is the worker up?")
        time.sleep(3)
    if run_status != "done" or requester != "officer":
        fail(f"run {pk} ended {run_status}, requested by {requester}")
    say(f"the worker finished run {pk}: {run_status}, {checked} visits checked")
    officer.get("/admin/reconciliation/reconciliationrun/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--manage", required=True, help='e.g. "python manage.py"')
    parser.add_argument("--wait", type=int, default=300, help="seconds for the worker's run")
    args = parser.parse_args()
    check_health(Client(args.base))
    log_visit(args.base)
    reconcile(args.base, shlex.split(args.manage), args.wait)
    check_health(Client(args.base))
    say("smoke test passed")


if __name__ == "__main__":
    main()
