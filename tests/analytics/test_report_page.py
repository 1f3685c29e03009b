"""The report page: self-contained, every chart drawn in a real browser with no console error, and served at /report.

The browser is Debian's `chromium`, driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
NUL-terminated JSON on file descriptors 3 and 4, https://chromedevtools.github.io/devtools-protocol/), so no
driver package is needed. Without Chromium those tests skip and say why; `.ci/run` installs it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from connector.config import load_config
from connector.reports.closed_loop import build_report
from connector.reports.closed_loop_page import page_from_store, render_page, write_page
from connector.scoring.model import load_model
from connector.service import SyncService
from connector.store import make_engine
from tests.analytics.report_builders import ReportStore, sample_store
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL
from tests.service.conftest import connector_file

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
)
CHARTS = {"funnel", "band", "ranking", "trend", "distribution", "reasons"}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report-page.png"
#: Set to 1 to refresh the README's screenshot from this test's page.
UPDATE_SCREENSHOT = os.environ.get("SCOREBRIDGE_UPDATE_SCREENSHOT") == "1"
BROWSER_TIMEOUT = 60.0
#: The README shows the top of the page: headline figures, funnel, bands, AUC, trend and distribution.
SCREENSHOT_HEIGHT = 2900
CHART_PROBE = """
[...document.querySelectorAll('figure.chart')].map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = svg ? [...svg.querySelectorAll('rect, polyline, circle')] : [];
  return {name: figure.dataset.chart, width: box.width, height: box.height,
          drawn: marks.filter(mark => { const b = mark.getBBox(); return b.width > 0 && b.height > 0; }).length};
})
"""


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.db'}")
    SQLModel.metadata.create_all(engine)
    sample_store(ReportStore(engine))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def page(sample_engine) -> str:
    return render_page(build_report(sample_engine, load_model(DEFAULT_MODEL), now=NOW))


class DevTools:
    """Chromium headless, driven over the DevTools pipe: commands out on fd 3, replies and events in on fd 4."""

    def __init__(self, profile: Path) -> None:
        commands_in, self._commands = os.pipe()
        self._replies, replies_out = os.pipe()
        child_ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_in, replies_out)]

        def wire_pipes() -> None:  # in the child: the protocol's fixed descriptors
            os.dup2(child_ends[0], 3)
            os.dup2(child_ends[1], 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire_pipes, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for fd in (commands_in, replies_out, *child_ends):
            os.close(fd)
        self._buffer, self._next_id, self.events, self.session = b"", 0, [], None

    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self._until(lambda each: each.get("id") == self._next_id)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_for(self, method: str) -> dict:
        return self._until(lambda each: each.get("method") == method)

    def _until(self, wanted) -> dict:
        deadline = time.monotonic() + BROWSER_TIMEOUT
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return message
                self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise AssertionError("Chromium closed the DevTools pipe")
            self._buffer += chunk

    def open(self, url: str) -> None:
        target = next(each for each in self.send("Target.getTargets")["targetInfos"] if each["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False})  # fmt: skip
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"]["value"]

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(" ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"]))
            elif event.get("method") == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"]["text"])
            elif event.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        return errors

    def screenshot(self) -> bytes:
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], SCREENSHOT_HEIGHT), "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        with contextlib.suppress(AssertionError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture
def browser(tmp_path):
    devtools = DevTools(tmp_path / "profile")
    yield devtools
    devtools.close()


@needs_chromium
def test_every_chart_of_the_page_renders_in_chromium_without_console_errors(page, tmp_path, browser):
    path = tmp_path / "report.html"
    path.write_text(page)

    browser.open(path.as_uri())
    charts = browser.evaluate(CHART_PROBE)
    shot = browser.screenshot()

    assert {chart["name"] for chart in charts} == CHARTS
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 50 and chart["drawn"] >= 2, chart
    assert browser.console_errors() == []
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
    if UPDATE_SCREENSHOT:
        SCREENSHOT.write_bytes(shot)


@needs_chromium
def test_the_browser_check_sees_an_empty_chart_and_a_console_error(tmp_path, browser):
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<html><body><figure class="chart" data-chart="empty"><svg width="400" height="100"></svg></figure>'
        "<script>console.error('chart data missing')</script></body></html>"
    )

    browser.open(broken.as_uri())

    assert browser.evaluate(CHART_PROBE) == [{"name": "empty", "width": 400, "height": 100, "drawn": 0}]
    assert browser.console_errors() == ["chart data missing"]


def test_the_page_is_self_contained(page):
    assert "<script" not in page
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in page
    assert " src=" not in page and "url(" not in page and "@import" not in page
    assert page.count("<svg") == len(CHARTS)


def test_too_few_outcomes_show_as_a_note_instead_of_a_chart(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    SQLModel.metadata.create_all(engine)
    store = ReportStore(engine)
    store.scored(store.contact(), 100, combined=5)

    page = render_page(build_report(engine, load_model(DEFAULT_MODEL), now=NOW))

    assert 'data-chart="ranking"' not in page and 'data-chart="reasons"' not in page
    assert "too few outcomes: needs at least 5 contacts won and 5 not won within 90 days" in page
    assert "too few outcomes: needs at least 5 won and 5 lost contacts; has 0 won and 0 lost" in page


def test_the_written_page_is_readable_by_its_owner_only(page, sample_engine, tmp_path):
    path = tmp_path / "report.html"
    write_page(build_report(sample_engine, load_model(DEFAULT_MODEL), now=NOW), path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == page


def get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def service_on(tmp_path, engine) -> SyncService:
    path = connector_file(tmp_path, [{"name": "acme", "crm": "salesforce"}], model=str(DEFAULT_MODEL))
    service = SyncService(load_config(path), path, engine, port=0, clock=lambda: NOW)
    service.health.start()
    return service


def test_serve_answers_report_with_the_page_built_from_the_store(sample_engine, page, tmp_path):
    service = service_on(tmp_path, sample_engine)
    try:
        status, content_type, body = get(service.health.port, "/report")
    finally:
        service.health.stop()

    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert body == page == page_from_store(sample_engine, DEFAULT_MODEL, NOW)


def test_serve_says_when_there_is_nothing_to_report_yet(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    SQLModel.metadata.create_all(engine)
    service = service_on(tmp_path, engine)
    try:
        status, _, body = get(service.health.port, "/report")
    finally:
        service.health.stop()

    assert status == 503 and "the store holds no scores yet" in body


def test_the_demo_ends_with_the_report_page_and_two_figures(sample_engine, tmp_path):
    from rich.console import Console

    from connector.config import ConnectorConfig
    from connector.demo import write_demo_report

    console = Console(record=True, width=200)
    path = tmp_path / "report.html"

    write_demo_report(console, sample_engine, ConnectorConfig(model=DEFAULT_MODEL), path, NOW)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and 'data-chart="band"' in path.read_text()
    assert console.export_text().strip() == (
        f"Report written to {path}: MQL -> won 44.0% (40 of 91 MQLs); AUC of the combined score 0.69 (won within "
        "90 days)"
    )
