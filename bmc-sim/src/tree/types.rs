//! `@odata.type` values (all present in the DMTF CSDL the validator uses).

pub(crate) const SERVICE_ROOT: &str = "#ServiceRoot.v1_15_0.ServiceRoot";
pub(crate) const SYSTEM: &str = "#ComputerSystem.v1_20_0.ComputerSystem";
pub(crate) const CHASSIS: &str = "#Chassis.v1_23_0.Chassis";
pub(crate) const MANAGER: &str = "#Manager.v1_17_0.Manager";
pub(crate) const PROCESSOR: &str = "#Processor.v1_18_0.Processor";
pub(crate) const MEMORY: &str = "#Memory.v1_17_0.Memory";
pub(crate) const STORAGE: &str = "#Storage.v1_15_0.Storage";
pub(crate) const DRIVE: &str = "#Drive.v1_17_0.Drive";
pub(crate) const VOLUME: &str = "#Volume.v1_9_0.Volume";
pub(crate) const ETHERNET_INTERFACE: &str = "#EthernetInterface.v1_10_0.EthernetInterface";
pub(crate) const BIOS: &str = "#Bios.v1_2_0.Bios";
pub(crate) const LOG_SERVICE: &str = "#LogService.v1_5_0.LogService";
pub(crate) const LOG_ENTRY: &str = "#LogEntry.v1_15_0.LogEntry";
pub(crate) const POWER: &str = "#Power.v1_7_1.Power";
pub(crate) const THERMAL: &str = "#Thermal.v1_7_1.Thermal";
pub(crate) const POWER_SUBSYSTEM: &str = "#PowerSubsystem.v1_1_0.PowerSubsystem";
pub(crate) const THERMAL_SUBSYSTEM: &str = "#ThermalSubsystem.v1_3_0.ThermalSubsystem";
pub(crate) const FAN: &str = "#Fan.v1_5_0.Fan";
pub(crate) const POWER_SUPPLY: &str = "#PowerSupply.v1_5_0.PowerSupply";
pub(crate) const SENSOR: &str = "#Sensor.v1_8_0.Sensor";
pub(crate) const NETWORK_PROTOCOL: &str = "#ManagerNetworkProtocol.v1_9_0.ManagerNetworkProtocol";
pub(crate) const VIRTUAL_MEDIA: &str = "#VirtualMedia.v1_6_0.VirtualMedia";
pub(crate) const ACCOUNT_SERVICE: &str = "#AccountService.v1_13_0.AccountService";
pub(crate) const ACCOUNT: &str = "#ManagerAccount.v1_10_0.ManagerAccount";
pub(crate) const ROLE: &str = "#Role.v1_3_1.Role";
pub(crate) const SESSION_SERVICE: &str = "#SessionService.v1_1_8.SessionService";
pub(crate) const SESSION: &str = "#Session.v1_6_0.Session";
pub(crate) const EVENT_SERVICE: &str = "#EventService.v1_10_0.EventService";
pub(crate) const EVENT_DESTINATION: &str = "#EventDestination.v1_13_0.EventDestination";
pub(crate) const EVENT: &str = "#Event.v1_7_0.Event";
pub(crate) const TASK_SERVICE: &str = "#TaskService.v1_2_0.TaskService";
pub(crate) const TASK: &str = "#Task.v1_7_0.Task";
pub(crate) const UPDATE_SERVICE: &str = "#UpdateService.v1_11_0.UpdateService";
pub(crate) const SOFTWARE_INVENTORY: &str = "#SoftwareInventory.v1_9_0.SoftwareInventory";
pub(crate) const MESSAGE_REGISTRY_FILE: &str = "#MessageRegistryFile.v1_1_3.MessageRegistryFile";
pub(crate) const JSON_SCHEMA_FILE: &str = "#JsonSchemaFile.v1_1_4.JsonSchemaFile";
pub(crate) const ACTION_INFO: &str = "#ActionInfo.v1_3_0.ActionInfo";

/// `#FooCollection.FooCollection` for a member type name.
pub(crate) fn collection(member: &str) -> String {
    format!("#{member}Collection.{member}Collection")
}
