//! Wall-clock time as Redfish wants it (RFC 3339 with offset). The aggregator reports UTC.

use std::time::SystemTime;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The offset every time is reported in (`DateTimeLocalOffset`).
pub const LOCAL_OFFSET: &str = "+00:00";

/// `time` as `2024-05-01T12:00:00+00:00` (whole seconds).
pub fn rfc3339(time: SystemTime) -> String {
    let t = OffsetDateTime::from(time);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .map(|s| s.replace('Z', LOCAL_OFFSET))
        .unwrap_or_default()
}

pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// An x509 or other `OffsetDateTime` in the same format.
pub fn format(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .map(|s| s.replace('Z', LOCAL_OFFSET))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_with_an_explicit_offset_and_whole_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20+00:00");
    }
}
