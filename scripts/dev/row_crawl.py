#!/usr/bin/env python3
"""Crawls a row aggregate from its ServiceRoot and judges every resource (scripts/test.d/row-compose.sh).

  row_crawl.py --row URL --row-ca PEM --user U --password P
               --rack r1=URL,USER,PASSWORD --rack r2=URL,USER,PASSWORD --rack-ca PEM
               --leak TEXT [--leak TEXT ...] [--limit N] [--out FILE]

- Every link found in a body (as testkit's crawl finds them: strings starting with /redfish/v1,
  fragment dropped; actions, $metadata, schema files, task monitors, event streams and upload
  URIs skipped) is GETted once through the row, with one session per worker.
- A resource that is not 200 at the row counts as a failure unless it is a rack's (its id carries
  a rack prefix, `<rackId>-` after a collection or `Oem/RedDrum/Bmcs/<rackId>/`) and the rack
  itself answers the same path, prefix removed, with the same status: a link that fails at its
  rack or BMC is not the row's fault (printed as such).
- Leaks. No body (the row's own AggregationSources' HostName aside: the rack URLs it was
  configured with) and no header may contain a --leak text (the racks' front doors as the row
  reaches them). A --leak-host (any rack or BMC container's address or name) may not be the host
  of a URL leading to a Redfish resource (`//HOST[:port]/redfish...`) in a body, nor appear in a
  header at all. Other mentions are data, not links around the row, and stay: the rack managers'
  own EthernetInterfaces and NetworkProtocol name their addresses and host name, and a BMC's
  out-of-band web-GUI launch URL is kept as the BMC gave it (as a rack keeps it); those URLs are
  printed.

Prints a summary line `crawl: N resources, N ok, N failed at the rack too, N failed, N leaks`
and each problem; exits 1 when anything fails.
"""
import argparse
import http.client
import json
import queue
import re
import ssl
import sys
import threading
import urllib.parse

SOURCES = "/redfish/v1/AggregationService/AggregationSources"
SKIP = re.compile(r"/Actions/|\$metadata|/odata$|/JsonSchemas/|/TaskMonitors/")
NOT_RESOURCES = ("ServerSentEventUri", "MultipartHttpPushUri", "HttpPushUri")


class Client:
    """One keep-alive HTTPS connection with a Redfish session (one per thread)."""

    def __init__(self, url, ca, user, password):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        self.conn = None
        self.token = None
        self.login(user, password)

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=90)
        return self.conn

    def request(self, method, path, body=None, headers=None):
        hdrs = {"Accept": "application/json", **(headers or {})}
        if self.token:
            hdrs["X-Auth-Token"] = self.token
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                c = self._conn()
                c.request(method, path, body=data, headers=hdrs)
                r = c.getresponse()
                raw = r.read()
                return r.status, r.getheaders(), raw
            except (http.client.HTTPException, OSError):
                # A keep-alive connection closed by the server meanwhile: one fresh try.
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def login(self, user, password):
        status, headers, raw = self.request(
            "POST", "/redfish/v1/SessionService/Sessions", {"UserName": user, "Password": password})
        token = dict((k.lower(), v) for k, v in headers).get("x-auth-token")
        if status != 201 or not token:
            sys.exit(f"row_crawl: login at {self.host}:{self.port} as {user}: {status} {raw[:200]!r}")
        self.token = token

    def get_json(self, path):
        status, headers, raw = self.request("GET", path)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        return status, headers, body


def links_in(body):
    out, stack = [], [body]
    while stack:
        v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else []
        for key, value in items:
            if key in ("@odata.context", "@odata.type"):
                continue
            if isinstance(value, str) and value.startswith("/redfish/v1"):
                out.append(value.split("#", 1)[0])
            stack.append(value)
    return out


def rack_path(path, racks):
    """(rack id, the path as that rack serves it) for a rack's resource at the row, else None."""
    m = re.match(r"^/redfish/v1/Oem/RedDrum/Bmcs/([A-Za-z0-9_]+)(/.*)?$", path)
    if m and m.group(1) in racks:
        return m.group(1), "/redfish/v1" + (m.group(2) or "")
    m = re.search(r"/([A-Za-z0-9_]+)-", path)
    if m and m.group(1) in racks:
        return m.group(1), path[: m.start()] + "/" + path[m.end():]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--row", required=True)
    ap.add_argument("--row-ca", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--rack", action="append", default=[], help="ID=URL,USER,PASSWORD")
    ap.add_argument("--rack-ca", required=True)
    ap.add_argument("--leak", action="append", default=[], help="text no body or header may hold")
    ap.add_argument("--leak-host", action="append", default=[], help="host no Redfish URL may name")
    ap.add_argument("--limit", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--out", help="one line per resource: status path")
    a = ap.parse_args()

    racks = {}
    for spec in a.rack:
        rid, rest = spec.split("=", 1)
        url, user, password = rest.split(",", 2)
        racks[rid] = (url, user, password)
    leaks = [re.compile(r"(?<![\w.])" + re.escape(x) + r"(?![\w])") for x in a.leak if x]
    hosts = [x for x in dict.fromkeys(a.leak_host) if x]
    in_headers = [re.compile(r"(?<![\w.])" + re.escape(x) + r"(?![\w])") for x in hosts]
    # //HOST, an optional port, then the path: group 1 is the path's start.
    as_url = [re.compile(r"//" + re.escape(x) + r"(?::\d+)?(?![\w.:-])(/[^\"\s]*)?") for x in hosts]

    seen = {"/redfish/v1"}
    todo = queue.Queue()
    todo.put("/redfish/v1")
    results = {}
    lock = threading.Lock()
    local = threading.local()
    errors = []

    def worker():
        try:
            local.client = Client(a.row, a.row_ca, a.user, a.password)
        except SystemExit as e:
            errors.append(str(e))
        while True:
            path = todo.get()
            if path is None:
                todo.task_done()
                return
            try:
                if not hasattr(local, "client"):
                    continue
                status, headers, body = local.client.get_json(path)
                found = links_in(body) if isinstance(body, (dict, list)) else []
                with lock:
                    results[path] = (status, headers, body)
                    for key in NOT_RESOURCES:
                        if isinstance(body, dict) and isinstance(body.get(key), str):
                            seen.add(body[key])
                    for link in found:
                        if link not in seen and not SKIP.search(link) and len(seen) < a.limit:
                            seen.add(link)
                            todo.put(link)
            except Exception as e:  # noqa: BLE001 - reported as the resource's failure
                with lock:
                    results[path] = (0, [], {"_error": repr(e)})
            finally:
                todo.task_done()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.workers)]
    for t in threads:
        t.start()
    todo.join()
    for _ in threads:
        todo.put(None)
    for t in threads:
        t.join()
    if errors:
        sys.exit(errors[0])

    rack_clients = {}
    ok, excused, failed, leaked, kept = 0, [], [], [], set()
    for path in sorted(results):
        status, headers, body = results[path]
        if status == 200:
            ok += 1
        else:
            where = rack_path(path, racks)
            if where:
                rid, rpath = where
                if rid not in rack_clients:
                    url, user, password = racks[rid]
                    rack_clients[rid] = Client(url, a.rack_ca, user, password)
                rstatus, _, _ = rack_clients[rid].get_json(rpath)
                if rstatus == status:
                    excused.append(f"{path}: {status} (and {rpath} at rack {rid}: {rstatus})")
                else:
                    failed.append(f"{path}: {status} at the row, {rstatus} at rack {rid} ({rpath}): "
                                  f"{json.dumps(body)[:300]}")
            else:
                failed.append(f"{path}: {status} {json.dumps(body)[:300]}")
        shown = body
        if path.startswith(SOURCES + "/") and isinstance(body, dict):
            shown = dict(body, HostName=None)
        text = json.dumps(shown)
        head = "\n".join(f"{k}: {v}" for k, v in headers)
        around = lambda hay, m: hay[max(0, m.start() - 60): m.end() + 60]
        for pat in leaks:
            for where, hay in (("body", text), ("headers", head)):
                m = pat.search(hay)
                if m:
                    leaked.append(f"{path}: {where} show {m.group(0)}: ...{around(hay, m)}...")
        for pat in in_headers:
            m = pat.search(head)
            if m:
                leaked.append(f"{path}: headers show {m.group(0)}: ...{around(head, m)}...")
        for pat in as_url:
            for m in pat.finditer(text):
                if (m.group(1) or "").startswith("/redfish"):
                    leaked.append(f"{path}: a Redfish URL at {m.group(0)}: ...{around(text, m)}...")
                else:
                    kept.add(f"{path}: {m.group(0)}")
    if a.out:
        with open(a.out, "w") as f:
            for path in sorted(results):
                f.write(f"{results[path][0]} {path}\n")

    print(f"crawl: {len(results)} resources, {ok} ok, {len(excused)} failed at the rack too, "
          f"{len(failed)} failed, {len(leaked)} leaks")
    for line in excused:
        print(f"  at the rack too (not the row's fault): {line}")
    for line in sorted(kept):
        print(f"  kept as the BMC gave it (no Redfish URL): {line}")
    for line in failed:
        print(f"  FAIL {line}")
    for line in leaked:
        print(f"  LEAK {line}")
    if len(results) >= a.limit:
        print(f"  FAIL the crawl did not end within {a.limit} resources")
        return 1
    return 1 if failed or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
