"""Shared by the client scenarios of scripts/test.d/clients.sh.

The stack comes from scripts/lib/stack.sh (stack_start + stack_apache): the aggregate is reached
through Apache over HTTPS ($STACK_HTTPS_URL, certificate $STACK_CA) with the admin account
($STACK_USER/$STACK_PASSWORD); every simulated BMC is read on its own URL (from
$STACK_DIR/bmc-sim.out) with Basic root/calvin, so each scenario checks the effect at the BMC,
not only what the client said.

Each scenario prints one line per check (PASS / FAIL / EXPECTED FAILURE) and, last,
`RESULT passed=N failed=N expected_failures=N`, which clients.sh adds up. A check marked
EXPECTED FAILURE is a known problem of the aggregate (see the comment at its call): it does not
fail the layer, but it is printed on every run until the product is fixed.
"""

import json
import os
import sys
import time
import traceback

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

BASE = os.environ["STACK_HTTPS_URL"]
CA = os.environ["STACK_CA"]
USER = os.environ["STACK_USER"]
PASSWORD = os.environ["STACK_PASSWORD"]
STACK_DIR = os.environ["STACK_DIR"]

SIM_AUTH = ("root", "calvin")


def sims():
    """{bmc id: URL} from bmc-sim's `bmc sN listening on URL` lines."""
    out = {}
    with open(os.path.join(STACK_DIR, "bmc-sim.out")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "bmc" and parts[2:4] == ["listening", "on"]:
                out[parts[1]] = parts[4]
    return out


def sim_get(bmc, path):
    """GET a BMC's own resource on the sim itself (self-signed: not verified); the JSON body."""
    r = requests.get(sims()[bmc] + path, auth=SIM_AUTH, verify=False, timeout=10)
    r.raise_for_status()
    return r.json()


def sim_simple_updates(bmc):
    """The bodies of the SimpleUpdate requests a BMC accepted: bmc-sim keeps each one in its task's
    Payload (JsonBody), so a scenario sees what reached the BMC, not what the aggregate said."""
    bodies = []
    for member in sim_get(bmc, "/redfish/v1/TaskService/Tasks").get("Members", []):
        payload = sim_get(bmc, member["@odata.id"]).get("Payload", {})
        if payload.get("TargetUri", "").rstrip("/").endswith("UpdateService.SimpleUpdate"):
            bodies.append(json.loads(payload.get("JsonBody") or "{}"))
    return bodies


def agg_get(path, token=None):
    """GET through Apache with Basic admin credentials (or a session token); the response."""
    kw = {"headers": {"X-Auth-Token": token}} if token else {"auth": (USER, PASSWORD)}
    return requests.get(BASE + path, verify=CA, timeout=30, **kw)


def wait_for(fn, want, timeout=10.0):
    """Polls fn() until it returns want (or timeout); returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


class Checks:
    def __init__(self, scenario):
        self.scenario = scenario
        self.passed = 0
        self.failed = 0
        self.xfail = 0
        self.t0 = time.monotonic()

    def _say(self, word, name, detail=""):
        line = "[%s +%4.1fs] %s %s" % (self.scenario, time.monotonic() - self.t0, word, name)
        if detail:
            line += ": " + str(detail)
        print(line, flush=True)

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            self._say("PASS", name)
        else:
            self.failed += 1
            self._say("FAIL", name, detail)
        return ok

    def equal(self, name, got, want):
        return self.check(name, got == want, "got %r, want %r" % (got, want))

    def step(self, name, fn):
        """Runs fn(); an exception fails the check (with the traceback's last line)."""
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - a client exception is a failed check
            self.check(name, False, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc(limit=3, file=sys.stdout)
            return None
        self.check(name, True)
        return out

    def expected_failure(self, name, detail):
        """A known product problem, kept visible: printed, counted apart, not failing the layer."""
        self.xfail += 1
        self._say("EXPECTED FAILURE", name, detail)

    def finish(self):
        print("RESULT passed=%d failed=%d expected_failures=%d" % (self.passed, self.failed, self.xfail), flush=True)
        sys.exit(1 if self.failed else 0)
