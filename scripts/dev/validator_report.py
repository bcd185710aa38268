#!/usr/bin/env python3
"""Reads the DMTF validators' reports and decides pass/fail for an aggregate.

  validator_report.py service  LOGDIR                       -> counts from the Service Validator
  validator_report.py protocol REPORTDIR                    -> counts from the Protocol Validator
  validator_report.py interop  PROFILE AGG_LOGDIR [DIRECT_LOGDIR]

Interop judging (see README "Conformance"): a profile applies to every resource of a type, so
  * failures on the aggregate's own resources (and service-wide checks) always count;
  * failures on aggregated BMC resources count only where the same bmc-sim, validated directly,
    passes (the aggregate must do exactly as well as the BMC itself); for the Rack Manager profile
    they do not apply at all (its requirements describe the rack manager, not the servers);
  * KNOWN_PROFILE_DEFECTS lists requirements no service can meet, each with its reason;
    KNOWN_GAPS what the product does not do (yet). An entry is (profile, message fragment,
    reason[, regex the resource URI must match]).
  * a service-wide comparison failure ("across all instances") is the same failure whichever
    instance the validator cites, so it is compared without the array index and value.
Prints one summary line per tool: `<tool>: N passed, N failed, N warned` and the failures, and
exits 1 when anything counts as failed.
"""
import csv, glob, json, os, re, sys

AGGREGATED = re.compile(r"/redfish/v1/(?:.*/)?s\d+-|/redfish/v1/Oem/RedDrum/Bmcs/")
# The rack's own chassis: the enclosure, the management switch and the host the aggregator runs on.
RACK_CHASSIS = re.compile(r"^/redfish/v1/Chassis/(Rack1|MgtSwitch|AggregatorHost)(/|$)")
KNOWN_PROFILE_DEFECTS = [
    # The Rack Manager profile is judged in its corrected copy (../shared/redfish/profiles/README):
    # every requirement left in it is meant, so none is excused here. The two hardware profiles
    # are the published files:
    # EthernetInterface.NameServers is read-only in every schema version (the writable list is
    # StaticNameServers).
    ("OCPBaselineHardwareManagement", "/NameServers (Write)",
     "profile defect: NameServers is read-only in the schema; StaticNameServers is the writable one"),
    ("OCPServerHardwareManagement", "/NameServers (Write)",
     "profile defect: NameServers is read-only in the schema; StaticNameServers is the writable one"),
]
# Requirements the product does not meet yet, printed on every run as KNOWN GAP so they stay
# visible (and listed in the open conformance issue) rather than silently skipped.
KNOWN_GAPS: list = [
]


def latest(pattern):
    found = sorted(glob.glob(pattern, recursive=True))
    return found[-1] if found else None


def table_counts(text):
    """The PASS/WARN/FAIL/NOT TESTED table both crawling validators print last."""
    rows = re.findall(r"\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", text)
    if not rows:
        return None
    p, w, f, n = map(int, rows[-1])
    return {"pass": p, "warn": w, "fail": f, "skip": n}


def parse_log(path):
    """(resource uri or None for service-wide, message) for every FAIL line; warnings counted."""
    fails, warns, current = [], 0, None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.search(r" - Validating (\S+?)\.\.\.$", line.rstrip())
        if m:
            current = m.group(1)
            continue
        if " - ERROR - " in line and ("FAIL" in line or "Error" in line):
            msg = line.split(" - ERROR - ", 1)[1].strip()
            msg = msg[len("FAIL - "):] if msg.startswith("FAIL - ") else msg
            service_wide = "across all instances" in msg or "on any instances" in msg
            fails.append((None if service_wide else current, msg))
        elif " - WARNING - " in line and "WARN" in line:
            warns += 1
    return fails, warns


def strip_prefix(uri):
    """The aggregated URI as the BMC itself serves it."""
    if not uri:
        return uri
    uri = re.sub(r"^/redfish/v1/Oem/RedDrum/Bmcs/s\d+", "/redfish/v1", uri)
    return re.sub(r"/s\d+-", "/", uri)


def known(entries, name, uri, msg):
    """The reason of the first entry matching this failure, or None."""
    for prof, frag, why, *where in entries:
        if prof == name and frag in msg and (not where or (uri and re.search(where[0], uri))):
            return why
    return None


def service_wide_key(msg):
    """A service-wide failure without the instance it happened to cite (index and value)."""
    return re.sub(r"^/(\w+)/\d+/(\S+) \(.*?\):", r"/\1/*/\2:", msg)


def interop(profile, agg_dir, direct_dir=None):
    name = os.path.basename(profile).split(".")[0]
    log = latest(os.path.join(agg_dir, "**", "RedfishInteropValidatorDebug*.log"))
    if not log:
        print(f"interop {name}: no report in {agg_dir}")
        return 1
    fails, warns = parse_log(log)
    direct = set()
    for d in (direct_dir or "").split(","):
        dlog = latest(os.path.join(d, "**", "RedfishInteropValidatorDebug*.log")) if d else None
        if dlog:
            direct |= {(u, m) for u, m in parse_log(dlog)[0]}
    direct |= {(None, service_wide_key(m)) for u, m in direct if u is None}
    counted, not_applicable, defects, gaps = [], [], [], []
    for uri, msg in fails:
        defect = known(KNOWN_PROFILE_DEFECTS, name, uri, msg)
        gap = known(KNOWN_GAPS, name, uri, msg)
        if defect:
            defects.append((uri, msg, defect))
        elif gap:
            gaps.append((uri, msg, gap))
        elif uri is None and direct_dir and (None, service_wide_key(msg)) in direct:
            not_applicable.append(("(service-wide)", msg, "the BMCs themselves fail this when validated directly"))
        elif name == "OCPServerHardwareManagement" and uri and RACK_CHASSIS.search(uri):
            not_applicable.append((uri, msg, "server-hardware requirement on the rack's own enclosure or switch (no server)"))
        elif uri and AGGREGATED.search(uri):
            if name == "OCPRackManagerController":
                not_applicable.append((uri, msg, "rack-manager requirement on an aggregated BMC resource"))
            elif direct_dir and (strip_prefix(uri), msg) in direct:
                not_applicable.append((uri, msg, "the BMC itself fails this when validated directly"))
            else:
                counted.append((uri, msg))
        else:
            counted.append((uri, msg))
    print(f"interop {name}: {len(counted)} failed, {warns} warned; "
          f"{len(not_applicable)} not applicable, {len(defects)} profile defects, {len(gaps)} known gaps")
    explain_warnings(warning_lines(log))
    for uri, msg in counted:
        print(f"  FAIL {uri or '(service-wide)'}: {msg}")
    for uri, msg, why in gaps:
        print(f"  KNOWN GAP {uri}: {msg} [{why}]")
    for uri, msg, why in defects[:3]:
        print(f"  n/a  {uri}: {msg} [{why}]")
    if defects[3:]:
        print(f"  n/a  ... {len(defects) - 3} more of the same profile defect")
    return 1 if counted else 0


# Service Validator warnings and why they stay: (message regex, resource URI regex, reason).
# Anything else is printed as UNEXPLAINED (a warning never fails the run, but is to be explained).
KNOWN_WARNINGS = [
    (r"^/Messages/\w+/Severity \(", r"^/redfish/v1/Registries/",
     "the DMTF's Base registry, served verbatim, still carries the deprecated Severity beside MessageSeverity"),
    (r"^/(Power|Thermal) \(\[Link to|^/@odata.id \(\S+/(Power|Thermal)\): Deprecated URI",
     r"^/redfish/v1/Chassis/(Rack1|MgtSwitch)(/|$)",
     "the rack's and the switch's legacy Power and Thermal: the OCP profiles require them (deprecated in favour of "
     "PowerSubsystem/ThermalSubsystem)"),
    (r"^/IndicatorLED \(", r"^/redfish/v1/Chassis/MgtSwitch$",
     "IndicatorLED is deprecated in favour of LocationIndicatorActive (served too), but the OCP profiles require it"),
    (r"^/SerialConsole \(", r"^/redfish/v1/Managers/Aggregator$",
     "Manager.SerialConsole is deprecated, but the OCP Rack Manager profile requires it (the rack manager has none: "
     "ServiceEnabled false)"),
    (r"^/(Thermal|Power)Subsystem \(\[Not Present\]\): Replaced Property Warning", RACK_CHASSIS.pattern,
     "the switch serves the legacy Thermal and Power: the Subsystems would oblige EnvironmentMetrics, Sensors "
     "and Controls, which hwmon readings cannot back"),
    (r"", AGGREGATED.pattern,
     "a BMC's own resource, proxied unchanged (deprecated links and URIs, OEM sections whose vendor schemas are not "
     "in the DMTF CSDL directory); the same BMC validated directly shows it too"),
]


def warning_lines(path):
    """(resource uri, message) of every WARN line of a Service Validator debug log."""
    out, current = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.search(r" - Validating (\S+?)\.\.\.$", line.rstrip())
        if m:
            current = m.group(1)
            continue
        if " - WARNING - WARN - " in line:
            out.append((current, line.split(" - WARNING - WARN - ", 1)[1].strip()))
    return out


def explain_warnings(warnings):
    by_reason, unexplained = {}, []
    for uri, msg in warnings:
        why = next((w for m, u, w in KNOWN_WARNINGS if re.search(m, msg) and uri and re.search(u, uri)), None)
        if why:
            by_reason[why] = by_reason.get(why, 0) + 1
        else:
            unexplained.append((uri, msg))
    for why, n in by_reason.items():
        print(f"  warn x{n}: {why}")
    for uri, msg in unexplained:
        print(f"  WARN UNEXPLAINED {uri}: {msg[:200]}")


def service(logdir, stdout_file):
    counts = table_counts(open(stdout_file, encoding="utf-8", errors="replace").read())
    if counts is None:
        print("service validator: no summary found")
        return 1
    log = latest(os.path.join(logdir, "**", "RedfishServiceValidatorDebug*.log"))
    fails = parse_log(log)[0] if log else []
    print(f"service validator: {counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned")
    for uri, msg in fails[:40]:
        print(f"  FAIL {uri}: {msg}")
    if log:
        explain_warnings(warning_lines(log))
    return 1 if counts["fail"] else 0


# Protocol Validator assertions the product does not meet yet (assertion id, reason).
KNOWN_PROTOCOL_GAPS: list = [
]


def protocol(reportdir):
    tsv = latest(os.path.join(reportdir, "*.tsv"))
    if not tsv:
        print("protocol validator: no report")
        return 1
    rows = list(csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t"))
    by = lambda r: [x for x in rows if x.get("Result") == r]
    gap_of = lambda r: next((why for a, why in KNOWN_PROTOCOL_GAPS if r["Assertion"] == a), None)
    fails = [r for r in by("FAIL") if not gap_of(r)]
    gaps = [r for r in by("FAIL") if gap_of(r)]
    print(f"protocol validator: {len(by('PASS'))} passed, {len(fails)} failed, {len(by('WARN'))} warned, "
          f"{len(gaps)} known gaps")
    for r in by("WARN"):
        print(f"  warn {r['Assertion']} {r['Method']} {r['URI']}: {r['Message'][:200]}")
    for r in fails:
        print(f"  FAIL {r['Assertion']} {r['Method']} {r['URI']}: {r['Message'][:200]}")
    for r in gaps:
        print(f"  KNOWN GAP {r['Assertion']} {r['Method']} {r['URI']}: {r['Message'][:200]} [{gap_of(r)}]")
    return 1 if fails else 0


def use_cases(reportdir, stdout_file):
    """The Use Case Checkers: the summary table it prints, each failure from its debug log."""
    counts = table_counts(open(stdout_file, encoding="utf-8", errors="replace").read())
    if counts is None:
        print("use-case checkers: no summary found (see the .out file)")
        return 1
    fails, test = [], None
    log = latest(os.path.join(reportdir, "**", "RedfishUseCaseCheckersDebug*.log"))
    lines = open(log, encoding="utf-8", errors="replace").read().splitlines() if log else []
    for i, line in enumerate(lines):
        m = re.search(r" - ERROR - Failing the (.+) test\.\.\.$", line)
        if m:
            test = m.group(1)
            detail = lines[i + 1].split(" - ERROR - ", 1)[-1] if i + 1 < len(lines) else ""
            fails.append((test, detail))
    print(f"use-case checkers: {counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned, "
          f"{counts['skip']} not tested (a feature the service or a BMC does not offer; reasons in the debug log)")
    for test, detail in fails:
        print(f"  FAIL {test}: {detail[:240]}")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    tool = sys.argv[1]
    if tool == "service":
        sys.exit(service(sys.argv[2], sys.argv[3]))
    if tool == "protocol":
        sys.exit(protocol(sys.argv[2]))
    if tool == "use-cases":
        sys.exit(use_cases(sys.argv[2], sys.argv[3]))
    if tool == "interop":
        sys.exit(interop(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None))
    sys.exit(f"unknown tool {tool}")
