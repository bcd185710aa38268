"""The rack web page in headless Chromium, against a running stack (scripts/test.d/ui.sh starts
it): every "Done when" of the page, checked where it lands (the simulated BMC's own Redfish tree
for a power action, the aggregate's AccountService for the read-only account).

Environment: STACK_HTTPS_URL, STACK_CA, STACK_USER, STACK_PASSWORD, STACK_DIR (bmc-sim.out names
each BMC's URL), STACK_SIM_CONTROL (bmc-sim's fleet control server), UI_RESULTS (screenshots).
Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""

import base64
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["STACK_HTTPS_URL"]
CA = os.environ["STACK_CA"]
ADMIN = (os.environ["STACK_USER"], os.environ["STACK_PASSWORD"])
CONTROL = "http://" + os.environ["STACK_SIM_CONTROL"]
RESULTS = os.environ.get("UI_RESULTS", "results/ui")
VIEWER = ("viewer", "viewer-Pass-2468")
SIMS = {}  # bmc id -> its own URL
for line in open(os.path.join(os.environ["STACK_DIR"], "bmc-sim.out")):
    parts = line.split()
    if len(parts) >= 4 and parts[0] == "bmc" and parts[2] == "listening":
        SIMS[parts[1]] = parts[-1]

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name} {detail}", flush=True)
    return ok


def http(method, url, body=None, auth=None, verify=True):
    """(status, headers, parsed body) of one request; the aggregate's CA is verified."""
    ctx = ssl.create_default_context(cafile=CA) if verify else ssl._create_unverified_context()
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            data = r.read()
            return r.status, r.headers, json.loads(data) if data and "json" in r.headers.get("Content-Type", "") else data
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def session_status(token):
    ctx = ssl.create_default_context(cafile=CA)
    req = urllib.request.Request(URL + "/redfish/v1/Systems", headers={"X-Auth-Token": token or "-"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def sim_system(bmc):
    """The simulated BMC's own first system (Basic root/calvin on its own port)."""
    base = SIMS[bmc]
    _, _, systems = http("GET", base + "/redfish/v1/Systems", auth=("root", "calvin"), verify=False)
    uri = systems["Members"][0]["@odata.id"]
    return http("GET", base + uri, auth=("root", "calvin"), verify=False)[2]


def control(method, bmc, fault=None):
    req = urllib.request.Request(f"{CONTROL}/bmcs/{bmc}/fault", method=method,
                                 data=None if fault is None else json.dumps(fault).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def wait(driver, what, predicate, timeout=60):
    try:
        # The page redraws every poll: an element found a moment ago may be gone; look again.
        return WebDriverWait(driver, timeout, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(predicate)
    except TimeoutException:
        return None


def slot(driver, bmc):
    found = driver.find_elements(By.ID, f"slot-{bmc}")
    return found[0] if found else None


def attr(driver, bmc, name):
    el = slot(driver, bmc)
    try:
        return el.get_attribute(name) if el else None
    except WebDriverException:
        return None  # redrawn between find and read


def viewport(driver, width, height, mobile):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def shot(driver, name):
    os.makedirs(RESULTS, exist_ok=True)
    driver.save_screenshot(os.path.join(RESULTS, name))


def login(driver, user, password):
    driver.get(URL + "/ui")  # the redirect to /ui/ is part of what is tested
    form = wait(driver, "login form", lambda d: d.find_element(By.ID, "login-user").is_displayed() and d.find_element(By.ID, "login-user"))
    form.clear()
    form.send_keys(user)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    return wait(driver, "elevation", lambda d: d.find_element(By.ID, "rack-view").is_displayed())


def logout(driver):
    driver.find_element(By.ID, "logout").click()
    wait(driver, "login form", lambda d: d.find_element(By.ID, "login-view").is_displayed())


def click_action(driver, action):
    button = wait(driver, action, lambda d: d.find_element(By.CSS_SELECTOR, f'button.action[data-action="{action}"]'), 30)
    if not button:
        return False
    button.click()
    ok = wait(driver, "confirm", lambda d: d.find_element(By.ID, "confirm-ok").is_displayed() and d.find_element(By.ID, "confirm-ok"), 10)
    ok.click()
    return True


def action_result(driver, label, timeout=90):
    """The outcome the page shows for the action `label` (state and text read at once: the status
    line of the previous action stays until the new one's first update)."""
    def ended(d):
        state, text = d.execute_script(
            "const s = document.getElementById('action-status');"
            " return s ? [s.dataset.state, s.textContent] : [null, ''];")
        return state in ("done", "failed") and text.startswith(label) and text
    return wait(driver, "task", ended, timeout)


def main():
    bmcs = sorted(SIMS)
    # The assets: served through Apache without a session, with the page's own CSP.
    status, headers, body = http("GET", URL + "/ui/")
    check("GET /ui/ through Apache: 200 text/html", status == 200 and headers.get("Content-Type", "").startswith("text/html"), status)
    csp = headers.get("Content-Security-Policy", "")
    check("the page's CSP allows only this origin's scripts and API", "script-src 'self'" in csp and "connect-src 'self'" in csp and "unsafe" not in csp, csp)
    status, _, _ = http("GET", URL + "/redfish/v1/Systems")
    check("the API still needs a session (401 without one)", status == 401, status)

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--ignore-certificate-errors", "--no-first-run",
                "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(arg)
    service = Service(executable_path="/usr/bin/chromedriver", log_output=os.environ.get("UI_BROWSER_LOG", os.devnull))
    driver = webdriver.Chrome(service=service, options=opts)
    viewport(driver, 1280, 800, False)  # the crash cart's screen, browser chrome not counted
    try:
        run(driver, bmcs)
        # Failed requests (a BMC down answers 503) are logged by the browser; a script error is a bug.
        errors = [e.get("message") for e in driver.get_log("browser")
                  if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]
        check("no script errors in the browser console", not errors, errors)
    finally:
        driver.quit()


def run(driver, bmcs):
    # 1. Log in; every server in the elevation with its power state, draw and inlet temperature.
    status, _, body = http("PATCH", URL + "/redfish/v1/Chassis/Rack1/Power",
                           {"PowerControl": [{"PowerLimit": {"LimitInWatts": 3000}}]}, auth=ADMIN)
    check("the rack's power limit is set through the API", status in (200, 204), (status, body))
    check("admin logs in", login(driver, *ADMIN))
    ready = wait(driver, "servers", lambda d: all(attr(d, b, "data-power") in ("On", "Off") for b in bmcs), 60)
    check(f"all {len(bmcs)} servers in the elevation with a power state", ready,
          {b: attr(driver, b, "data-power") for b in bmcs})
    check("every server shows healthy", all(attr(driver, b, "data-state") == "ok" for b in bmcs),
          {b: attr(driver, b, "data-state") for b in bmcs})
    # Six sims at 344 W each, against the limit set above.
    totals = wait(driver, "totals", lambda d: re.fullmatch(r"Power 2064 W of 3000 W", d.find_element(By.ID, "rack-power").text.replace("\xa0", " ")), 30)
    check("the rack's power draw (every server) and limit are shown", totals, driver.find_element(By.ID, "rack-power").text)
    readings = wait(driver, "readings", lambda d: all("W" in slot(d, b).text and "\u00b0C" in slot(d, b).text for b in bmcs), 40)
    check("every server shows its power draw and inlet temperature", readings,
          {b: slot(driver, b).text.replace("\n", " | ") for b in bmcs})
    check("the switch and the rack manager have slots", driver.find_elements(By.CSS_SELECTOR, '[data-kind="switch"]')
          and driver.find_elements(By.CSS_SELECTOR, '[data-kind="manager"]'))
    wait(driver, "manager log", lambda d: d.find_elements(By.ID, "manager-log"), 20)
    wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
    check("the page fits 1280x800 (no sideways scrolling)", not wide)
    shot(driver, "elevation.png")

    # 2. A server's detail.
    target, down = bmcs[0], bmcs[1]
    slot(driver, target).click()
    has_actions = wait(driver, "detail", lambda d: d.find_elements(By.CSS_SELECTOR, 'button.action[data-action="ForceOff"]'), 30)
    check("the admin sees action controls in a server's detail", has_actions)
    check("the detail shows its system, chassis, manager and firmware",
          all(t in driver.find_element(By.ID, "detail").text for t in ("System", "Chassis", "Manager", "Firmware")))
    wait(driver, "log", lambda d: d.find_elements(By.ID, "server-log") or "No entries" in d.find_element(By.ID, "detail").text, 20)
    shot(driver, "detail.png")

    # 3. A BMC goes down at the simulator: its slot turns red with a reason, then recovers.
    control("PUT", down, "Down")
    try:
        red = wait(driver, "down", lambda d: attr(d, down, "data-state") == "down", 90)
        check(f"{down} turns red when its BMC goes down", red, attr(driver, down, "data-state"))
        reason = slot(driver, down).text if red else ""
        check("the down slot says why", "BMC down" in reason and len(reason.split("\n")) >= 3, reason)
        check("the other servers stay healthy", all(attr(driver, b, "data-state") == "ok" for b in bmcs if b != down))
        slot(driver, down).click()
        shown = wait(driver, "down detail", lambda d: f"{down} " in d.find_element(By.ID, "detail").text
                     and "BMC down" in d.find_element(By.ID, "detail").text, 20)
        check("its detail says the BMC is down", shown)
        shot(driver, "bmc-down.png")
    finally:
        control("DELETE", down)
    back = wait(driver, "back", lambda d: attr(d, down, "data-state") == "ok" and attr(d, down, "data-power") in ("On", "Off"), 90)
    check(f"{down} recovers when its BMC is back", back, attr(driver, down, "data-state"))

    # 4. Power a server off through the page; the simulated BMC itself says Off.
    before = sim_system(target).get("PowerState")
    check(f"{target} is on at its BMC before", before == "On", before)
    slot(driver, target).click()
    check("Force off: confirmation and request", click_action(driver, "ForceOff"))
    result = action_result(driver, "Force off")
    check("the page reports the action completed", result and "Completed" in result, result)
    after = sim_system(target).get("PowerState")
    check(f"{target}'s BMC says Off", after == "Off", after)
    shown = wait(driver, "off", lambda d: attr(d, target, "data-power") == "Off", 30)
    check("the elevation shows it Off", shown, attr(driver, target, "data-power"))
    shot(driver, "power-off.png")
    click_action(driver, "On")
    result = action_result(driver, "Power on")
    check("Power on completes and the BMC says On", result and "Completed" in result and sim_system(target).get("PowerState") == "On", result)

    # PDU reseat (configured for s1): the aggregator's Task is followed to its end.
    wait(driver, "on", lambda d: attr(d, target, "data-power") == "On", 30)
    check("PDU reseat: confirmation and request", click_action(driver, "PduReseat"))
    running = wait(driver, "task", lambda d: "task" in d.find_element(By.ID, "action-status").text, 20)
    check("the page follows the reseat's Task", running)
    result = action_result(driver, "PDU reseat")
    check("the reseat Task completes", result and "PDU reseat: Completed" in result, result)
    reseats = open(os.environ["UI_RESEATS"]).read() if os.path.exists(os.environ.get("UI_RESEATS", "")) else ""
    check("the PDU command ran for s1's socket", "s1 7" in reseats, reseats)
    shot(driver, "task.png")
    led_before = sim_system(target).get("LocationIndicatorActive")
    check("Locator LED: confirmation and request", click_action(driver, "Locator"))
    result = action_result(driver, "Locator LED")
    led_after = sim_system(target).get("LocationIndicatorActive")
    check("the locator LED changes at the BMC", result and "Completed" in result and led_after is (not led_before), (result, led_before, led_after))

    # 5. A ReadOnly account: no action controls.
    status, _, body = http("POST", URL + "/redfish/v1/AccountService/Accounts",
                           {"UserName": VIEWER[0], "Password": VIEWER[1], "RoleId": "ReadOnly"}, auth=ADMIN)
    check("a ReadOnly account is created through AccountService", status == 201, (status, body))
    token = json.loads(driver.execute_script("return sessionStorage.getItem('reddrum.ui.session')") or "{}").get("token")
    check("the page holds a Redfish session token", bool(token))
    logout(driver)
    status = session_status(token)
    check("logging out deletes the session (its token then gets 401)", status == 401, status)
    check("a ReadOnly user logs in", login(driver, *VIEWER))
    wait(driver, "servers", lambda d: all(attr(d, b, "data-power") in ("On", "Off") for b in bmcs), 60)
    check("the ReadOnly user's role is shown", "ReadOnly" in driver.find_element(By.ID, "user-name").text,
          driver.find_element(By.ID, "user-name").text)
    slot(driver, target).click()
    loaded = wait(driver, "detail", lambda d: "Firmware" in d.find_element(By.ID, "detail").text and f"{target} " in d.find_element(By.ID, "detail").text, 30)
    check("the ReadOnly user sees the server's detail", loaded)
    check("the ReadOnly user sees no action controls", not driver.find_elements(By.CSS_SELECTOR, "button.action")
          and not driver.find_elements(By.ID, "actions"))
    shot(driver, "read-only.png")
    viewport(driver, 390, 844, True)
    slot(driver, bmcs[1]).click()
    wait(driver, "phone", lambda d: f"{bmcs[1]} " in d.find_element(By.ID, "detail").text, 20)
    shot(driver, "phone.png")
    wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
    check("the page fits a phone's width (no sideways scrolling)", not wide)
    viewport(driver, 1280, 800, False)
    logout(driver)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # an unexpected error is a failure with its reason, not a traceback only
        import traceback
        traceback.print_exc()
        check("the test ran to its end", False, repr(e))
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
