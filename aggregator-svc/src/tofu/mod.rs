//! Trust on first use for BMCs with self-signed certificates (`trust_on_first_use = true`): the
//! SHA-256 of the leaf certificate a BMC presents at the first handshake is pinned (and kept in
//! SQLite), and from then on a handshake presenting any other certificate is refused, until an
//! operator accepts the new one (`#RedDrum.AcceptCertificate` on the BMC's AggregationSource).
//!
//! - [`Pins`]: every TOFU BMC's pin, shared by its TLS verifier and the API.
//! - [`verifier`]: the rustls `ServerCertVerifier` that pins and compares.
//! - [`keeper`]: persists new pins and reports refusals (log, event log, EventService).
//!
//! Names and expiry are not checked (a BMC's self-signed certificate rarely names the address it
//! is reached by, and often outlives its dates); handshake signatures are, so the session is bound
//! to the pinned key.

pub mod keeper;
pub mod verifier;

use redfish::ids::BmcId;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

/// The SHA-256 of a certificate's DER.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Self {
        Fingerprint(Sha256::digest(der).into())
    }

    /// 64 hex digits, upper or lower case, with or without `:` between bytes (what
    /// `openssl x509 -noout -fingerprint -sha256` prints, with or without its `sha256 Fingerprint=`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text
            .split_once('=')
            .map_or(text, |(label, value)| {
                if label.to_ascii_lowercase().contains("fingerprint") {
                    value
                } else {
                    text
                }
            })
            .trim();
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Fingerprint(out))
    }
}

impl std::fmt::Display for Fingerprint {
    /// Upper-case hex, colon-separated, as openssl prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// One BMC's pin and the certificate it is refused for, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinState {
    pub pinned: Option<Fingerprint>,
    /// What the BMC presented at the last handshake, when that was not the pinned certificate.
    pub refused: Option<Fingerprint>,
}

/// What a verifier tells the [`keeper`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinEvent {
    /// A first certificate was pinned (to be stored).
    Pinned { bmc: BmcId },
    /// The BMC presented a certificate other than the pinned one (reported once per certificate).
    Refused {
        bmc: BmcId,
        pinned: Fingerprint,
        presented: Fingerprint,
    },
    /// A refused BMC presents its pinned certificate again.
    Restored { bmc: BmcId },
}

/// The pin of one BMC at one address, shared by its verifier (every client made for it) and the API.
#[derive(Debug)]
pub struct PinCell {
    pub bmc: BmcId,
    /// `scheme://host[:port]`: a pin belongs to the address it was taken from.
    pub origin: String,
    state: Mutex<PinState>,
    events: Option<UnboundedSender<PinEvent>>,
}

impl PinCell {
    pub fn state(&self) -> PinState {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Judges the certificate presented at a handshake: pins it when nothing is pinned yet;
    /// true when it is (now) the pinned one.
    pub fn admit(&self, presented: Fingerprint) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (admitted, event) = match state.pinned {
            None => {
                *state = PinState {
                    pinned: Some(presented),
                    refused: None,
                };
                (
                    true,
                    Some(PinEvent::Pinned {
                        bmc: self.bmc.clone(),
                    }),
                )
            }
            Some(pinned) if pinned == presented => {
                let was_refused = state.refused.take().is_some();
                (
                    true,
                    was_refused.then(|| PinEvent::Restored {
                        bmc: self.bmc.clone(),
                    }),
                )
            }
            Some(pinned) => {
                let new = state.refused != Some(presented);
                state.refused = Some(presented);
                (
                    false,
                    new.then(|| PinEvent::Refused {
                        bmc: self.bmc.clone(),
                        pinned,
                        presented,
                    }),
                )
            }
        };
        drop(state);
        if let (Some(event), Some(tx)) = (event, &self.events) {
            // The keeper lives as long as the service; after shutdown there is nobody to tell.
            let _ = tx.send(event);
        }
        admitted
    }

    /// Pins `fingerprint` (an operator accepted it); returns the state before.
    pub fn accept(&self, fingerprint: Fingerprint) -> PinState {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let before = *state;
        *state = PinState {
            pinned: Some(fingerprint),
            refused: before.refused.filter(|r| *r != fingerprint),
        };
        before
    }
}

/// A pin as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPin {
    pub bmc_id: String,
    pub origin: String,
    pub fingerprint: Fingerprint,
}

/// The pins of every TOFU BMC, by BMC id.
#[derive(Debug, Default)]
pub struct Pins {
    cells: Mutex<HashMap<String, Arc<PinCell>>>,
    events: Option<UnboundedSender<PinEvent>>,
}

impl Pins {
    /// The pins remembered in the store; new pins and refusals are reported on `events`.
    pub fn new(stored: Vec<StoredPin>, events: UnboundedSender<PinEvent>) -> Self {
        let mut cells = HashMap::new();
        for pin in stored {
            let Ok(bmc) = BmcId::parse(&pin.bmc_id) else {
                continue;
            };
            let cell = PinCell {
                bmc,
                origin: pin.origin,
                state: Mutex::new(PinState {
                    pinned: Some(pin.fingerprint),
                    refused: None,
                }),
                events: Some(events.clone()),
            };
            cells.insert(pin.bmc_id, Arc::new(cell));
        }
        Pins {
            cells: Mutex::new(cells),
            events: Some(events),
        }
    }

    /// The pin of `bmc` at `origin`. A pin taken at another address does not hold for this one:
    /// the BMC was moved, and its certificate there is a first use again.
    pub fn cell(&self, bmc: &BmcId, origin: &str) -> Arc<PinCell> {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(cell) = cells.get(bmc.as_str())
            && cell.origin == origin
        {
            return cell.clone();
        }
        if let Some(old) = cells.get(bmc.as_str())
            && old.state().pinned.is_some()
        {
            tracing::info!(bmc = %bmc, from = %old.origin, to = %origin, "BMC address changed: its certificate is pinned afresh at the first connection");
        }
        let cell = Arc::new(PinCell {
            bmc: bmc.clone(),
            origin: origin.to_owned(),
            state: Mutex::new(PinState::default()),
            events: self.events.clone(),
        });
        cells.insert(bmc.to_string(), cell.clone());
        cell
    }

    /// The pin of a BMC, if it is in TOFU mode and has a cell.
    pub fn get(&self, bmc: &str) -> Option<Arc<PinCell>> {
        self.cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(bmc)
            .cloned()
    }

    /// Forgets a BMC's pin (its AggregationSource was deleted).
    pub fn forget(&self, bmc: &str) {
        self.cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(bmc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(byte: u8) -> Fingerprint {
        Fingerprint([byte; 32])
    }

    #[test]
    fn fingerprints_parse_as_openssl_prints_them_and_display_so() {
        let f = Fingerprint::of(b"certificate");
        let shown = f.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&shown), Some(f));
        assert_eq!(Fingerprint::parse(&shown.to_lowercase()), Some(f));
        assert_eq!(Fingerprint::parse(&shown.replace(':', "")), Some(f));
        assert_eq!(
            Fingerprint::parse(&format!("sha256 Fingerprint={shown}\n")),
            Some(f)
        );
        for bad in [
            "",
            "AB:CD",
            &shown[..shown.len() - 1],
            &shown.replace('A', "G"),
        ] {
            assert_eq!(Fingerprint::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn first_certificate_is_pinned_then_another_is_refused_until_accepted() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pins = Pins::new(Vec::new(), tx);
        let id = BmcId::parse("s1").expect("id");
        let cell = pins.cell(&id, "https://10.0.0.1");
        assert!(cell.admit(fp(1)));
        assert_eq!(rx.try_recv(), Ok(PinEvent::Pinned { bmc: id.clone() }));
        assert!(cell.admit(fp(1)));
        assert!(rx.try_recv().is_err(), "the pinned certificate is no news");

        assert!(!cell.admit(fp(2)));
        assert_eq!(
            rx.try_recv(),
            Ok(PinEvent::Refused {
                bmc: id.clone(),
                pinned: fp(1),
                presented: fp(2)
            })
        );
        assert!(!cell.admit(fp(2)));
        assert!(rx.try_recv().is_err(), "reported once per certificate");
        assert_eq!(cell.state().refused, Some(fp(2)));

        let before = cell.accept(fp(2));
        assert_eq!(before.pinned, Some(fp(1)));
        assert_eq!(
            cell.state(),
            PinState {
                pinned: Some(fp(2)),
                refused: None
            }
        );
        assert!(cell.admit(fp(2)));
        assert!(!cell.admit(fp(1)), "the old certificate is refused now");
    }

    #[test]
    fn a_bmc_back_on_its_pinned_certificate_is_restored() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let id = BmcId::parse("s1").expect("id");
        let pins = Pins::new(
            vec![StoredPin {
                bmc_id: "s1".into(),
                origin: "https://h".into(),
                fingerprint: fp(1),
            }],
            tx,
        );
        let cell = pins.cell(&id, "https://h");
        assert!(!cell.admit(fp(9)));
        assert!(cell.admit(fp(1)));
        let events: Vec<PinEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert!(matches!(
            events.as_slice(),
            [PinEvent::Refused { .. }, PinEvent::Restored { .. }]
        ));
    }

    #[test]
    fn a_pin_holds_only_for_the_address_it_was_taken_from() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let id = BmcId::parse("s1").expect("id");
        let pins = Pins::new(
            vec![StoredPin {
                bmc_id: "s1".into(),
                origin: "https://old".into(),
                fingerprint: fp(1),
            }],
            tx,
        );
        assert_eq!(pins.cell(&id, "https://old").state().pinned, Some(fp(1)));
        let moved = pins.cell(&id, "https://new");
        assert_eq!(moved.state().pinned, None);
        assert!(
            Arc::ptr_eq(&moved, &pins.cell(&id, "https://new")),
            "one cell per BMC"
        );
    }
}
