"""The report in a real browser: headless Chromium (Debian's `chromium`, which .ci/run installs)
driven over the DevTools protocol, with scripts off and the network blocked. Skipped when
Chromium is absent."""
from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

websocket = pytest.importorskip("websocket")  # websocket-client, a test extra

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         # Any request the page makes fails: no proxy answers, no host name resolves.
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
START_TIMEOUT = 60
LOAD_TIMEOUT = 60
SECTIONS = [("overview", "Overview"), ("production", "Production"), ("authors", "Authors"),
            ("collaboration", "Collaboration"), ("categories", "Categories and subjects"),
            ("code", "Code and links"), ("quality", "Data quality")]


class DevTools:
    """Just enough of the DevTools protocol: commands on one page session, events kept."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=LOAD_TIMEOUT, suppress_origin=True)
        self.events: list[dict] = []
        self.session: str | None = None
        self._id = 0

    def call(self, method: str, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") != self._id:
                self.events.append(reply)
            elif "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            else:
                return reply.get("result", {})

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv()))  # times out after LOAD_TIMEOUT

    def named(self, *methods: str) -> list[dict]:
        return [e for e in self.events if e.get("method") in methods]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    profile = tmp_path / "profile"
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                             "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tools = DevTools(_endpoint(profile / "DevToolsActivePort", proc))
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        attached = tools.call("Target.attachToTarget", targetId=target, flatten=True)
        tools.session = attached["sessionId"]
        yield tools
        tools.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _endpoint(port_file: Path, proc: subprocess.Popen) -> str:
    """Chromium writes its DevTools port and browser path to the profile once it listens."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        lines = port_file.read_text().split() if port_file.is_file() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    pytest.fail(f"chromium did not start (exit code {proc.poll()})")


def test_report_opens_offline_with_no_error_and_no_request(browser: DevTools,
                                                           sample_report: Path) -> None:
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable")
    browser.call("Emulation.setScriptExecutionDisabled", value=True)
    browser.call("Emulation.setDeviceMetricsOverride", width=900, height=1400,
                 deviceScaleFactor=1, mobile=False)
    browser.call("Page.navigate", url=sample_report.as_uri())
    browser.wait_for("Page.loadEventFired")

    requests = [e["params"]["request"]["url"] for e in browser.named("Network.requestWillBeSent")]
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    errors = [e for e in browser.named("Runtime.exceptionThrown", "Runtime.consoleAPICalled",
                                       "Log.entryAdded")
              if e["method"] == "Runtime.exceptionThrown"
              or e["params"].get("type") in ("error", "assert")
              or e["params"].get("entry", {}).get("level") == "error"]
    assert errors == []
    assert _sections(browser) == SECTIONS
    _assert_drawn(browser.call("Page.captureScreenshot", format="png")["data"])
    network = _clip(browser, "#fig-network svg")
    _assert_drawn(browser.call("Page.captureScreenshot", format="png", clip=network,
                               captureBeyondViewport=True)["data"])


def _sections(browser: DevTools) -> list[tuple[str, str]]:
    """(id, heading) of each section, read through the DOM domain: no script runs on the
    page, not even ours."""
    root = browser.call("DOM.getDocument")["root"]["nodeId"]

    def select(selector: str) -> list[int]:
        return browser.call("DOM.querySelectorAll", nodeId=root, selector=selector)["nodeIds"]

    ids = [browser.call("DOM.getAttributes", nodeId=n)["attributes"] for n in select("section")]
    heads = [browser.call("DOM.getOuterHTML", nodeId=n)["outerHTML"]
             for n in select("section > h2")]
    return [(dict(zip(a[::2], a[1::2]))["id"], h.removeprefix("<h2>").removesuffix("</h2>"))
            for a, h in zip(ids, heads, strict=True)]


def _clip(browser: DevTools, selector: str) -> dict:
    root = browser.call("DOM.getDocument")["root"]["nodeId"]
    node = browser.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
    quad = browser.call("DOM.getBoxModel", nodeId=node)["model"]["border"]
    xs, ys = quad[::2], quad[1::2]
    return {"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys),
            "scale": 1}


def _assert_drawn(png: str) -> None:
    """Not blank: many colours, and a fair share of pixels that are not background white."""
    image = Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50
    white = sum(n for n, rgb in colours if min(rgb) >= 250)
    assert white < 0.97 * image.width * image.height
