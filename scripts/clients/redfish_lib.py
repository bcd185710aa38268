"""DMTF python-redfish-library (`redfish`) and its Tacklebox helpers (`redfish_utilities`)
against the aggregate, over HTTPS through Apache, each effect checked at the simulated BMC.

  session login -> GET an aggregated system -> PATCH AssetTag (seen at the BMC) ->
  ComputerSystem.Reset ForceOff / On from the system's own action target (PowerState at the BMC)
  -> redfish_utilities: set_system_boot (ETag + If-Match through the aggregate; Boot at the BMC),
  get_system_boot, system_reset, get_system_inventory / print_system_inventory over the whole
  rack, get_log_entries (a BMC log paged by nextLink), insert/eject_virtual_media (found through
  Links.ManagedBy), simple_update over the aggregate's UpdateService (the request at the BMC with
  its own target URIs), a BMC's own SimpleUpdate in the per-BMC namespace polled with
  poll_task_monitor (task Completed at the BMC) ->
  logout (the old token then gets 401, the session resource 404).
"""

import contextlib
import io
import secrets

import redfish
import redfish_utilities

from common import BASE, CA, PASSWORD, USER, Checks, agg_get, sim_get, sim_simple_updates, sims, wait_for

BMC, SYS = "s1", "1"  # a dmtf-profile BMC; its system is /redfish/v1/Systems/s1-1 in the aggregate
AGG_SYS = "/redfish/v1/Systems/%s-%s" % (BMC, SYS)
SIM_SYS = "/redfish/v1/Systems/%s" % SYS
RESET_BMC, RESET_SYS = "s3", "system"  # an openbmc-profile BMC, for the Tacklebox reset

c = Checks("redfish")
client = redfish.redfish_client(base_url=BASE, username=USER, password=PASSWORD, cafile=CA, timeout=30, max_retry=1)
c.step("session login (login(auth='session'))", lambda: client.login(auth="session"))
token = client.get_session_key()
location = client.get_session_location()
c.check("login gave a token and a session under /redfish/v1/SessionService/Sessions/",
        bool(token) and (location or "").startswith("/redfish/v1/SessionService/Sessions/"),
        "token %r, location %r" % (token, location))

# GET an aggregated system: its Id is the aggregate's, its state the BMC's.
r = client.get(AGG_SYS)
c.equal("GET %s status" % AGG_SYS, r.status, 200)
system = r.dict if r.status == 200 else {}
c.equal("aggregated system Id", system.get("Id"), "%s-%s" % (BMC, SYS))
c.equal("aggregated PowerState is the BMC's", system.get("PowerState"), sim_get(BMC, SIM_SYS).get("PowerState"))

# PATCH a writable property; the BMC has it afterwards.
tag = "rf-lib-" + secrets.token_hex(4)
r = client.patch(AGG_SYS, body={"AssetTag": tag})
c.check("PATCH AssetTag answers 2xx", 200 <= r.status < 300, "%s %s" % (r.status, r.text))
c.equal("AssetTag at the BMC", sim_get(BMC, SIM_SYS).get("AssetTag"), tag)
c.equal("AssetTag read back through the aggregate", client.get(AGG_SYS).dict.get("AssetTag"), tag)

# ComputerSystem.Reset through the target the aggregate advertises.
target = system.get("Actions", {}).get("#ComputerSystem.Reset", {}).get("target", "")
c.equal("Reset target is the aggregate's", target, AGG_SYS + "/Actions/ComputerSystem.Reset")
for reset, state in (("ForceOff", "Off"), ("On", "On")):
    r = client.post(target or AGG_SYS + "/Actions/ComputerSystem.Reset", body={"ResetType": reset})
    c.check("POST Reset %s answers 2xx" % reset, 200 <= r.status < 300, "%s %s" % (r.status, r.text))
    c.equal("PowerState at the BMC after %s" % reset,
            wait_for(lambda: sim_get(BMC, SIM_SYS).get("PowerState"), state), state)

# redfish_utilities (DMTF Redfish-Tacklebox) on the same session.
c.step("redfish_utilities.set_system_boot Pxe/Once (If-Match from the aggregate's ETag)",
       lambda: redfish_utilities.set_system_boot(client, "%s-%s" % (BMC, SYS), ov_target="Pxe", ov_enabled="Once"))
boot = sim_get(BMC, SIM_SYS).get("Boot", {})
c.equal("boot override at the BMC", (boot.get("BootSourceOverrideTarget"), boot.get("BootSourceOverrideEnabled")),
        ("Pxe", "Once"))
got = c.step("redfish_utilities.get_system_boot", lambda: redfish_utilities.get_system_boot(client, "%s-%s" % (BMC, SYS)))
c.equal("get_system_boot reads the override back", (got or {}).get("BootSourceOverrideTarget"), "Pxe")

c.step("redfish_utilities.system_reset %s-%s ForceOff" % (RESET_BMC, RESET_SYS),
       lambda: redfish_utilities.system_reset(client, "%s-%s" % (RESET_BMC, RESET_SYS), "ForceOff"))
c.equal("PowerState at BMC %s after system_reset" % RESET_BMC,
        wait_for(lambda: sim_get(RESET_BMC, "/redfish/v1/Systems/" + RESET_SYS).get("PowerState"), "Off"), "Off")
c.step("redfish_utilities.system_reset %s-%s On" % (RESET_BMC, RESET_SYS),
       lambda: redfish_utilities.system_reset(client, "%s-%s" % (RESET_BMC, RESET_SYS), "On"))
c.equal("PowerState at BMC %s back On" % RESET_BMC,
        wait_for(lambda: sim_get(RESET_BMC, "/redfish/v1/Systems/" + RESET_SYS).get("PowerState"), "On"), "On")

inventory = c.step("redfish_utilities.get_system_inventory over the rack",
                   lambda: redfish_utilities.get_system_inventory(client)) or []
names = [i["ChassisName"] for i in inventory]
print("  inventory chassis:", names)
bmc_chassis = [n for n in names if "-" in n]
c.equal("inventory has one chassis per BMC", sorted(n.split("-")[0] for n in bmc_chassis), sorted(sims()))
cpus = {i["ChassisName"]: len(i["Processors"]) for i in inventory}
c.check("inventory lists the processors of every server's chassis", all(cpus[n] > 0 for n in bmc_chassis),
        "processors per chassis: %s" % cpus)
# Not a failure, printed so it stays known: the rack enclosure links every server's system
# (Links.ComputerSystems, which the OCP Rack Manager profile makes mandatory on the rack), and the
# Tacklebox walk catalogs a chassis' linked systems, so the servers' processors and memory are
# listed a second time under the rack.
rack = [n for n in names if "-" not in n and cpus.get(n)]
if rack:
    print("  NOTE: %s also lists %s processors (the servers' own, through Links.ComputerSystems); per chassis: %s"
          % (rack, sum(cpus[n] for n in rack), cpus))
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    c.step("redfish_utilities.print_system_inventory", lambda: redfish_utilities.print_system_inventory(inventory))
printed = buf.getvalue()
c.check("printed inventory names every BMC's chassis", all("'%s' Inventory" % n in printed for n in bmc_chassis),
        printed[:500])

# A log of 120 entries the BMC pages by 50 (Members@odata.nextLink through the aggregate).
entries = c.step("redfish_utilities.get_log_entries Systems/%s-%s Log1 (paged)" % (BMC, SYS),
                 lambda: redfish_utilities.get_log_entries(client, container_type=redfish_utilities.log_container.SYSTEM,
                                                           container_id="%s-%s" % (BMC, SYS), log_service_id="Log1"))
first_page = sim_get(BMC, SIM_SYS + "/LogServices/Log1/Entries")
at_bmc = first_page["Members@odata.count"]
got = len(entries or [])
# Through the aggregate, $skip/$top/$filter cover every page the BMC has, and its count is the
# BMC's (a regression test of a bug this scenario found: only the BMC's first page was reachable).
c.check("every log entry the BMC has was read", got == at_bmc, "got %d, want %d" % (got, at_bmc))

# Virtual media of an idrac: none under the System, so the Tacklebox follows Links.ManagedBy
# (an absolute URL at the BMC, rewritten by the aggregate) to the Manager's VirtualMedia.
VM_BMC, VM_SYS, VM_PATH = "s2", "System.Embedded.1", "/redfish/v1/Managers/iDRAC.Embedded.1/VirtualMedia/RemovableDisk"
image = "http://images.example.invalid/rf-lib-%s.img" % secrets.token_hex(4)
c.step("redfish_utilities.insert_virtual_media %s-%s (USBStick, through the Manager)" % (VM_BMC, VM_SYS),
       lambda: redfish_utilities.insert_virtual_media(client, image, system_id="%s-%s" % (VM_BMC, VM_SYS)))
at_bmc = sim_get(VM_BMC, VM_PATH)
c.equal("virtual media at the BMC after insert", (at_bmc.get("Image"), at_bmc.get("Inserted")), (image, True))
c.step("redfish_utilities.eject_virtual_media RemovableDisk",
       lambda: redfish_utilities.eject_virtual_media(client, "RemovableDisk", system_id="%s-%s" % (VM_BMC, VM_SYS)))
c.equal("virtual media at the BMC after eject", sim_get(VM_BMC, VM_PATH).get("Inserted"), False)

# Firmware update the way every client does it (Ansible's redfish_command Update SimpleUpdate
# too): the UpdateService from the ServiceRoot, its #UpdateService.SimpleUpdate with Targets naming
# an aggregated FirmwareInventory member. The aggregate passes it on to that server's BMC with the
# BMC's own URIs and answers with the BMC's task monitor, rewritten into the aggregate.
FW_BMC = "s4"
fw_image = "http://images.example.invalid/fw-%s.bin" % secrets.token_hex(4)
r = c.step("redfish_utilities.simple_update over the aggregate's UpdateService (Targets %s-BIOS)" % FW_BMC,
           lambda: redfish_utilities.simple_update(client, fw_image, protocol="HTTP",
                                                   targets=["/redfish/v1/UpdateService/FirmwareInventory/%s-BIOS" % FW_BMC]))
monitor = (r.getheader("Location") or "") if r is not None else ""
c.check("simple_update answers 202 with the BMC's task monitor in the aggregate", r is not None and r.status == 202
        and monitor.startswith("/redfish/v1/TaskService/TaskMonitors/%s-" % FW_BMC),
        "%s Location %r" % (getattr(r, "status", None), monitor))
if r is not None:
    c.step("redfish_utilities.poll_task_monitor until the update completes",
           lambda: redfish_utilities.poll_task_monitor(client, r, silent=True))
c.equal("the SimpleUpdate at the BMC: the image and the BMC's own target",
        [(b.get("ImageURI"), b.get("Targets")) for b in sim_simple_updates(FW_BMC) if b.get("ImageURI") == fw_image],
        [(fw_image, ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"])])

# A BMC's own SimpleUpdate in the per-BMC namespace works too: its 202 task monitor (Location
# rewritten) polled with the Tacklebox until the task completes.
bmc_update = client.get("/redfish/v1/Oem/RedDrum/Bmcs/%s/UpdateService" % FW_BMC)
fw_target = bmc_update.dict.get("Actions", {}).get("#UpdateService.SimpleUpdate", {}).get("target", "")
c.equal("the BMC's SimpleUpdate target is in the per-BMC namespace", fw_target,
        "/redfish/v1/Oem/RedDrum/Bmcs/%s/UpdateService/Actions/UpdateService.SimpleUpdate" % FW_BMC)
r = client.post(fw_target, body={"ImageURI": fw_image, "TransferProtocol": "HTTP"})
monitor = r.getheader("Location") or ""
c.check("SimpleUpdate answers 202 with a task monitor of the aggregate", r.status == 202
        and monitor.startswith("/redfish/v1/TaskService/TaskMonitors/%s-" % FW_BMC), "%s Location %r" % (r.status, monitor))
done = c.step("redfish_utilities.poll_task_monitor until the update completes",
              lambda: redfish_utilities.poll_task_monitor(client, r, silent=True))
task_id = monitor.rsplit("/", 1)[-1].split("-", 1)[-1]
at_bmc = sim_get(FW_BMC, "/redfish/v1/TaskService/Tasks/%s" % task_id) if task_id else {}
c.equal("the task at the BMC is Completed", at_bmc.get("TaskState"), "Completed")
# At completion the monitor answers 200 with the operation's result (here the BMC's Success message).
c.equal("the monitor's last answer: 200, the BMC's result", (getattr(done, "status", None),
        [m.get("MessageId", "").rsplit(".", 1)[-1] for m in (done.dict or {}).get("@Message.ExtendedInfo", [])] if done else None),
        (200, ["Success"]))

# Logout: the session is gone.
c.step("logout", client.logout)
r = agg_get(AGG_SYS, token=token)
c.equal("GET with the old token after logout", r.status_code, 401)
r = agg_get(location)
c.equal("the old session resource after logout (Basic admin)", r.status_code, 404)
c.finish()
