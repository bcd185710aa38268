//! What a BMC does wrong right now: the BMC-wide fault, path-scoped rules and the boot delay.
//!
//! Real BMCs often fail on one subtree (FirmwareInventory answering 500, a hung LogService) while
//! the rest works, so a rule `(path prefix, fault)` overrides the BMC-wide fault for that subtree
//! (longest prefix wins). Every change gets a fresh generation number: a hanging request keeps the
//! generation of the setting that made it hang and ends once its path is governed by another one.

use std::collections::BTreeMap;

use crate::Fault;

/// The fault applying to one request, and the generation of the setting it comes from.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub(crate) fault: Fault,
    pub(crate) generation: u64,
}

/// The BMC-wide fault plus path rules; guarded by one mutex in `Bmc`.
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    /// The BMC-wide fault and its generation.
    global: (Fault, u64),
    /// Normalised prefix -> fault and generation (sorted, so listings are stable).
    rules: BTreeMap<String, (Fault, u64)>,
    /// True until a start delay has passed; the listener treats it like `Down`.
    booting: bool,
    /// Last generation handed out.
    generation: u64,
}

impl FaultTable {
    /// The table of a BMC that starts with these path rules, booting or not.
    pub(crate) fn new(path_faults: &[(String, Fault)], booting: bool) -> Result<Self, String> {
        let mut table = FaultTable {
            booting,
            ..FaultTable::default()
        };
        for (prefix, fault) in path_faults {
            table.set_rule(prefix, fault.clone())?;
        }
        Ok(table)
    }

    /// Latest generation (what `Bmc::fault_changes` carries).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// True while the listener must refuse connections (`Down`, or not booted yet).
    pub(crate) fn is_down(&self) -> bool {
        self.booting || self.global.0.is_down()
    }

    pub(crate) fn booting(&self) -> bool {
        self.booting
    }

    pub(crate) fn finish_boot(&mut self) {
        self.booting = false;
    }

    pub(crate) fn global(&self) -> &Fault {
        &self.global.0
    }

    pub(crate) fn set_global(&mut self, fault: Fault) {
        self.global = (fault, self.next_generation());
    }

    /// Adds or replaces the rule for `prefix`; replacing it ends requests hanging under it.
    pub(crate) fn set_rule(&mut self, prefix: &str, fault: Fault) -> Result<(), String> {
        let prefix = check_path_fault(prefix, &fault)?;
        let generation = self.next_generation();
        self.rules.insert(prefix, (fault, generation));
        Ok(())
    }

    /// Removes the rule for `prefix` (trailing slash ignored); false if there was none.
    pub(crate) fn clear_rule(&mut self, prefix: &str) -> bool {
        let removed = self.rules.remove(trim(prefix)).is_some();
        if removed {
            self.next_generation();
        }
        removed
    }

    pub(crate) fn clear_rules(&mut self) {
        if !self.rules.is_empty() {
            self.rules.clear();
            self.next_generation();
        }
    }

    /// The rules, sorted by prefix.
    pub(crate) fn rules(&self) -> Vec<(String, Fault)> {
        self.rules
            .iter()
            .map(|(p, (f, _))| (p.clone(), f.clone()))
            .collect()
    }

    /// The fault for a request path (query stripped; a trailing slash is ignored).
    pub(crate) fn applying_to(&self, path: &str) -> Applied {
        // `Down` acts on the listener, below any path: nothing is served while it is set.
        if self.global.0.is_down() {
            return applied(&self.global);
        }
        let path = trim(path);
        let longest = self
            .rules
            .iter()
            .filter(|(prefix, _)| covers(prefix, path))
            .max_by_key(|(prefix, _)| prefix.len());
        match longest {
            Some((_, rule)) => applied(rule),
            None => applied(&self.global),
        }
    }
}

fn applied((fault, generation): &(Fault, u64)) -> Applied {
    Applied {
        fault: fault.clone(),
        generation: *generation,
    }
}

fn trim(path: &str) -> &str {
    path.trim_end_matches('/')
}

/// True if `path` is `prefix` or below it (`/a/b` covers `/a/b/c`, not `/a/bc`).
fn covers(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Checks a path rule and returns its normalised prefix (no trailing slash), or why it is refused.
pub(crate) fn check_path_fault(prefix: &str, fault: &Fault) -> Result<String, String> {
    if fault.is_down() {
        return Err(
            "Down closes the BMC's listening socket, so it cannot apply to one path; \
             set it BMC-wide (PUT /sim/fault or SimHandle::set_fault)"
                .into(),
        );
    }
    if !prefix.starts_with('/') {
        return Err(format!(
            "path {prefix:?} must start with '/', e.g. /redfish/v1/UpdateService"
        ));
    }
    // Rules are matched against the raw request path, so give it as it is sent on the wire.
    if let Some(c) = prefix
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#'))
    {
        return Err(format!(
            "path {prefix:?} contains {c:?}: give the path alone (no query or fragment), \
             percent-encoded as sent on the wire"
        ));
    }
    let trimmed = trim(prefix);
    if trimmed.is_empty() {
        return Err("path \"/\" covers the whole BMC; use the BMC-wide fault (/sim/fault)".into());
    }
    if covers("/sim", trimmed) {
        return Err(format!(
            "path {prefix:?} is under /sim/, whose control paths are never faulted"
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Fault {
        Fault::Status {
            code,
            redfish_body: false,
        }
    }

    #[test]
    fn longest_prefix_wins_and_only_whole_segments_match() {
        let mut t = FaultTable::default();
        t.set_global(status(503));
        t.set_rule("/redfish/v1/UpdateService/", status(500))
            .expect("valid");
        t.set_rule("/redfish/v1/UpdateService/FirmwareInventory", status(404))
            .expect("valid");
        let at = |p: &str| t.applying_to(p).fault;
        assert_eq!(at("/redfish/v1/UpdateService"), status(500));
        assert_eq!(at("/redfish/v1/UpdateService/"), status(500));
        assert_eq!(
            at("/redfish/v1/UpdateService/FirmwareInventory/BMC"),
            status(404)
        );
        assert_eq!(
            at("/redfish/v1/UpdateService/FirmwareInventory/"),
            status(404)
        );
        assert_eq!(at("/redfish/v1/UpdateServiceX"), status(503));
        assert_eq!(at("/redfish/v1"), status(503));
        assert_eq!(
            t.rules().first().map(|r| r.0.as_str()),
            Some("/redfish/v1/UpdateService")
        );
    }

    #[test]
    fn generations_change_only_for_the_paths_a_change_touches() {
        let mut t = FaultTable::default();
        t.set_rule("/redfish/v1/Systems", Fault::Hang)
            .expect("valid");
        let hung = t.applying_to("/redfish/v1/Systems/1").generation;
        t.set_global(status(500));
        t.set_rule("/redfish/v1/Chassis", Fault::Hang)
            .expect("valid");
        assert_eq!(t.applying_to("/redfish/v1/Systems/1").generation, hung);
        t.set_rule("/redfish/v1/Systems/1", Fault::Hang)
            .expect("valid");
        assert_ne!(t.applying_to("/redfish/v1/Systems/1").generation, hung);
        assert!(!t.clear_rule("/redfish/v1/Nope"));
        assert!(t.clear_rule("/redfish/v1/Systems/1/"));
    }

    #[test]
    fn refused_rules() {
        for (path, fault) in [
            ("/redfish/v1/Systems", Fault::Down),
            ("redfish/v1", Fault::Hang),
            ("/", Fault::Hang),
            ("/redfish/v1?$top=1", Fault::Hang),
            ("/redfish/v1/a b", Fault::Hang),
            ("/sim/fault", Fault::Hang),
        ] {
            assert!(check_path_fault(path, &fault).is_err(), "{path} {fault:?}");
        }
        assert_eq!(
            check_path_fault("/simulated//", &Fault::Hang).as_deref(),
            Ok("/simulated")
        );
    }
}
