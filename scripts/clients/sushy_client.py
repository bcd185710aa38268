"""OpenStack sushy (what Ironic drives BMCs with) against the aggregate, over HTTPS through
Apache with session auth, each effect checked at the simulated BMC.

  Sushy(root, SessionAuth) -> every manager and chassis of the rack read ->
  get_system('/redfish/v1/Systems/sN-...') -> power state -> reset_system ForceOff / On ->
  set_system_boot_options (Pxe, Once, UEFI; then Hdd, Continuous) read back after refresh() ->
  NICs and storage (what Ironic inspects) -> bios.set_attributes applied by a ForceRestart ->
  the system's manager and chassis -> virtual media insert / eject through the manager ->
  UpdateService.simple_update (the request at the BMC with its own target URI) -> session closed
  (token 401).

Systems: s2 (idrac: VirtualMedia under the Manager, absolute ManagedBy links at the BMC) and
s5 (ilo: trailing slashes on every @odata.id and action target); both offer VirtualMedia under the
Manager, where sushy's Manager.virtual_media looks. s1 (dmtf) has it under the System, which
sushy reads as System.virtual_media.
"""

import secrets

import sushy
from sushy import auth

from common import BASE, CA, PASSWORD, USER, Checks, agg_get, sim_get, sim_simple_updates, wait_for

c = Checks("sushy")

TARGETS = [
    # bmc, system id at the BMC, manager id at the BMC, virtual media id at the BMC
    ("s2", "System.Embedded.1", "iDRAC.Embedded.1", "CD"),
    ("s5", "1", "1", "1"),
]

session = auth.SessionAuth(USER, PASSWORD)
root = c.step("Sushy(%s/redfish/v1, SessionAuth)" % BASE,
              lambda: sushy.Sushy(BASE + "/redfish/v1", verify=CA, auth=session))
if root is None:
    c.finish()
c.equal("ServiceRoot product", root.product, "RedDrum Aggregator")
c.check("session opened", bool(session.get_session_key()), "no X-Auth-Token")
members = c.step("system collection", lambda: root.get_system_collection().members_identities) or ()
print("  systems:", sorted(members))

# Every manager and chassis of the rack, the aggregate's own included (rack manager, rack, switch).
for kind, collection, getter in (("manager", root.get_manager_collection, root.get_manager),
                                 ("chassis", root.get_chassis_collection, root.get_chassis)):
    paths = c.step("%s collection" % kind, lambda: collection().members_identities) or ()
    for p in sorted(paths):
        res = c.step("get_%s(%r)" % (kind, p), lambda: getter(p))
        if res is not None:
            kind_value = res.manager_type if kind == "manager" else res.chassis_type
            c.check("%s %s read: type %s" % (kind, res.identity, getattr(kind_value, "value", kind_value)),
                    kind_value is not None, "no type")


def power_at_sim(bmc, sys_id):
    return sim_get(bmc, "/redfish/v1/Systems/%s" % sys_id).get("PowerState")


for bmc, sys_id, mgr_id, vm_id in TARGETS:
    path = "/redfish/v1/Systems/%s-%s" % (bmc, sys_id)
    system = c.step("get_system(%r)" % path, lambda: root.get_system(path))
    if system is None:
        continue
    c.equal("%s power_state is the BMC's" % path, system.power_state.value, power_at_sim(bmc, sys_id))

    for reset, want in ((sushy.ResetType.FORCE_OFF, "Off"), (sushy.ResetType.ON, "On")):
        c.step("%s reset_system(%s)" % (path, reset.value), lambda: system.reset_system(reset))
        c.equal("%s PowerState at the BMC after %s" % (bmc, reset.value),
                wait_for(lambda: power_at_sim(bmc, sys_id), want), want)
        system.refresh()
        c.equal("%s power_state after refresh()" % path, system.power_state.value, want)

    c.step("%s set_system_boot_options(PXE, ONCE, UEFI)" % path,
           lambda: system.set_system_boot_options(sushy.BootSource.PXE,
                                                  enabled=sushy.BootSourceOverrideEnabled.ONCE,
                                                  mode=sushy.BootSourceOverrideMode.UEFI))
    boot = sim_get(bmc, "/redfish/v1/Systems/%s" % sys_id).get("Boot", {})
    c.equal("%s boot override at the BMC" % bmc,
            (boot.get("BootSourceOverrideTarget"), boot.get("BootSourceOverrideEnabled"), boot.get("BootSourceOverrideMode")),
            ("Pxe", "Once", "UEFI"))
    system.refresh()
    c.equal("%s boot read back by sushy" % path, (system.boot.target, system.boot.enabled),
            (sushy.BootSource.PXE, sushy.BootSourceOverrideEnabled.ONCE))
    c.step("%s set_system_boot_options(HDD, CONTINUOUS)" % path,
           lambda: system.set_system_boot_options(sushy.BootSource.HDD,
                                                  enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS))
    boot = sim_get(bmc, "/redfish/v1/Systems/%s" % sys_id).get("Boot", {})
    c.equal("%s second override at the BMC" % bmc,
            (boot.get("BootSourceOverrideTarget"), boot.get("BootSourceOverrideEnabled")), ("Hdd", "Continuous"))

    # What Ironic's inspection reads: NICs, disks, BIOS.
    sim_nics = [sim_get(bmc, m["@odata.id"]).get("MACAddress") for m in
                sim_get(bmc, "/redfish/v1/Systems/%s/EthernetInterfaces" % sys_id)["Members"]]
    nics = c.step("%s ethernet_interfaces.summary" % path, lambda: system.ethernet_interfaces.summary) or {}
    c.equal("%s NIC MACs are the BMC's" % path, sorted(m.upper() for m in nics), sorted(m.upper() for m in sim_nics))
    sizes = c.step("%s storage.volumes_sizes_bytes" % path, lambda: system.storage.volumes_sizes_bytes)
    c.check("%s storage sizes read: %s" % (path, sizes), bool(sizes), sizes)

    c.step("%s bios.set_attributes(NumLock=Off)" % path, lambda: system.bios.set_attributes({"NumLock": "Off"}))
    c.equal("%s pending BIOS setting at the BMC" % bmc,
            sim_get(bmc, "/redfish/v1/Systems/%s/Bios/Settings" % sys_id).get("Attributes", {}).get("NumLock"), "Off")
    c.step("%s reset_system(ForceRestart) applies it" % path, lambda: system.reset_system(sushy.ResetType.FORCE_RESTART))
    # Like the power state, a BMC may apply pending settings seconds after the reset returned.
    c.equal("%s BIOS at the BMC after the restart" % bmc,
            wait_for(lambda: sim_get(bmc, "/redfish/v1/Systems/%s/Bios" % sys_id).get("Attributes", {}).get("NumLock"),
                     "Off"), "Off")
    system.bios.refresh()
    c.equal("%s bios.attributes after refresh()" % path, system.bios.attributes.get("NumLock"), "Off")

    managers = c.step("%s managers" % path, lambda: system.managers) or []
    c.equal("%s is managed by its BMC's manager" % path, [m.identity for m in managers], ["%s-%s" % (bmc, mgr_id)])
    chassis = c.step("%s chassis" % path, lambda: system.chassis) or []
    c.check("%s chassis readable: %s" % (path, [(ch.identity, ch.chassis_type) for ch in chassis]),
            len(chassis) == 1 and chassis[0].identity.startswith(bmc + "-") and chassis[0].chassis_type is not None,
            [ch.identity for ch in chassis])
    if not managers:
        continue
    manager = managers[0]
    c.check("%s manager readable: type %s, firmware %s" % (manager.identity, manager.manager_type, manager.firmware_version),
            manager.manager_type == sushy.ManagerType.BMC, manager.manager_type)

    vm_path = "/redfish/v1/Managers/%s/VirtualMedia/%s" % (mgr_id, vm_id)
    vm = c.step("%s virtual_media.get_member(%s)" % (manager.identity, vm_id),
                lambda: manager.virtual_media.get_member(manager.virtual_media.path.rstrip("/") + "/" + vm_id))
    if vm is None:
        continue
    image = "http://images.example.invalid/%s.iso" % secrets.token_hex(4)
    c.step("%s insert_media(%s)" % (vm.identity, image), lambda: vm.insert_media(image, inserted=True, write_protected=True))
    at_bmc = sim_get(bmc, vm_path)
    c.equal("%s virtual media at the BMC after insert" % bmc, (at_bmc.get("Image"), at_bmc.get("Inserted")), (image, True))
    vm.refresh()
    c.equal("%s inserted media read back by sushy" % bmc, (vm.image, vm.inserted), (image, True))
    c.step("%s eject_media()" % vm.identity, vm.eject_media)
    at_bmc = sim_get(bmc, vm_path)
    c.equal("%s virtual media at the BMC after eject" % bmc, at_bmc.get("Inserted"), False)
    vm.refresh()
    c.equal("%s ejected media read back by sushy" % bmc, vm.inserted, False)

# The System-side VirtualMedia (dmtf profile) through sushy's System.virtual_media.
bmc, sys_id = "s1", "1"
system = c.step("get_system('/redfish/v1/Systems/s1-1') for System.virtual_media",
                lambda: root.get_system("/redfish/v1/Systems/s1-1"))
if system is not None:
    vm = c.step("s1-1 virtual_media CD1", lambda: system.virtual_media.get_member(system.virtual_media.path + "/CD1"))
    if vm is not None:
        image = "http://images.example.invalid/%s.iso" % secrets.token_hex(4)
        c.step("s1-1 CD1 insert_media", lambda: vm.insert_media(image, inserted=True, write_protected=True))
        at_bmc = sim_get(bmc, "/redfish/v1/Systems/1/VirtualMedia/CD1")
        c.equal("s1 system virtual media at the BMC after insert", (at_bmc.get("Image"), at_bmc.get("Inserted")), (image, True))
        c.step("s1-1 CD1 eject_media", vm.eject_media)
        c.equal("s1 system virtual media at the BMC after eject",
                sim_get(bmc, "/redfish/v1/Systems/1/VirtualMedia/CD1").get("Inserted"), False)

# Firmware update the way Ironic's redfish firmware interface does it: the UpdateService from the
# ServiceRoot, #UpdateService.SimpleUpdate with Targets naming an aggregated FirmwareInventory
# member (s5 is an ilo: trailing slashes on its URIs); the request must reach that BMC with its own
# target URI.
fw_image = "http://images.example.invalid/sushy-%s.bin" % secrets.token_hex(4)
monitor = c.step("UpdateService.simple_update over the aggregate (Targets s5-1)",
                 lambda: root.get_update_service().simple_update(
                     fw_image, targets=["/redfish/v1/UpdateService/FirmwareInventory/s5-1"]))
if monitor is not None:
    # sushy prefers the Task's @odata.id of the 202 body to the Location of the task monitor.
    c.check("simple_update gives the BMC's task in the aggregate",
            monitor.task_monitor_uri.startswith("/redfish/v1/TaskService/Tasks/s5-"), monitor.task_monitor_uri)
c.equal("the SimpleUpdate at the BMC: the image and the BMC's own target",
        [(b.get("ImageURI"), b.get("Targets")) for b in sim_simple_updates("s5") if b.get("ImageURI") == fw_image],
        [(fw_image, ["/redfish/v1/UpdateService/FirmwareInventory/1"])])

# Closing the session (what Sushy does when it is dropped): the token is dead afterwards.
token = session.get_session_key()
c.step("SessionAuth.close()", session.close)
c.equal("GET with sushy's old token after close", agg_get("/redfish/v1/Systems", token=token).status_code, 401)
c.finish()
