"""Runs an Ansible playbook of scripts/clients/ansible/ against the stack and turns its tasks
into checks: ansible-playbook (from the venv) with the ansible.posix.json callback, every task a
check (ok/changed passes, failed fails; the play ignores errors so every task runs and reports).
A task whose name starts with `XFAIL` is a known problem of the aggregate (the comment above it
says which): its failure prints EXPECTED FAILURE and does not fail the layer, as long as the
failure message contains the text after ` -- expect: ` in the task's name (another failure is a
real one); if it passes, it is printed as such so the mark can go.

Nothing is read from ~/.ansible or an ansible.cfg found elsewhere: ANSIBLE_CONFIG names the
playbook directory's own ansible.cfg and ANSIBLE_HOME, the temp dirs and the collections path
point into a temporary directory; community.general and ansible.posix come from the `ansible`
package installed in the venv.

  ansible_run.py PLAYBOOK
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from common import BASE, CA, PASSWORD, USER, sims

HERE = os.path.dirname(os.path.abspath(__file__))
playbook = os.path.join(HERE, "ansible", sys.argv[1])
venv_bin = os.path.dirname(sys.executable)
passed = failed = xfail = 0
t0 = time.monotonic()


def say(word, name, detail=""):
    print("[ansible +%4.1fs] %s %s%s" % (time.monotonic() - t0, word, name, ": " + detail if detail else ""), flush=True)


with tempfile.TemporaryDirectory(prefix="reddrum-ansible-") as home:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(HERE, "ansible", "ansible.cfg"),
        "ANSIBLE_HOME": home,
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(home, "remote-tmp"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(home, "collections"),  # empty: the venv's are found on sys.path
        "ANSIBLE_ROLES_PATH": os.path.join(home, "roles"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
    })
    extra = {
        "agg_baseuri": BASE.split("://", 1)[1],
        "agg_url": BASE,
        "agg_ca": CA,
        "agg_user": USER,
        "agg_password": PASSWORD,
        "sims": sims(),
    }
    extra_file = os.path.join(home, "vars.json")
    with open(extra_file, "w") as f:
        json.dump(extra, f)
    os.chmod(extra_file, 0o600)
    cmd = [os.path.join(venv_bin, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "@" + extra_file, playbook]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)

try:
    out = json.loads(proc.stdout)
except ValueError:
    print(proc.stdout[-4000:])
    print(proc.stderr[-4000:])
    say("FAIL", "ansible-playbook %s produced no JSON report (exit %d)" % (os.path.basename(playbook), proc.returncode))
    print("RESULT passed=0 failed=1 expected_failures=0")
    sys.exit(1)

for play in out.get("plays", []):
    for task in play.get("tasks", []):
        name = task["task"]["name"]
        for host, res in task.get("hosts", {}).items():
            if res.get("skipped"):
                continue
            bad = res.get("failed") or res.get("unreachable")
            detail = ""
            if bad:
                detail = res.get("msg") or res.get("module_stderr") or json.dumps(res)[:800]
                if isinstance(detail, list):
                    detail = "; ".join(map(str, detail))
            expect = name.split(" -- expect: ", 1)[1] if " -- expect: " in name else ""
            if name.startswith("XFAIL") and bad and expect not in str(detail):
                failed += 1
                say("FAIL", name, "failed otherwise than expected: %s" % detail)
            elif name.startswith("XFAIL"):
                if bad:
                    xfail += 1
                    say("EXPECTED FAILURE", name, str(detail))
                else:
                    passed += 1
                    say("PASS", name, "marked XFAIL but passes now: remove the mark")
            elif bad:
                failed += 1
                say("FAIL", name, str(detail))
            else:
                passed += 1
                say("PASS", name)

stats = out.get("stats", {})
if proc.returncode not in (0, 2) or not stats:
    failed += 1
    say("FAIL", "ansible-playbook exit %d" % proc.returncode, proc.stderr[-2000:])
elif proc.stderr.strip():
    print(proc.stderr.strip()[-2000:])
print("RESULT passed=%d failed=%d expected_failures=%d" % (passed, failed, xfail), flush=True)
sys.exit(1 if failed else 0)
