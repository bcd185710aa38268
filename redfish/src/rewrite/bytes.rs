//! The localizer over a reply's bytes, for the proxy's hot path: the same rules as
//! [`super::localize_body`], without building a `serde_json::Value` tree or serializing it again.
//!
//! serde_json parses the body once (so it is validated exactly as before) with a visitor that
//! only looks at the properties the rules name; strings without escapes arrive borrowed from the
//! input, so their position is known and each rewritten string becomes an edit (byte range, new
//! text). The output is the input with the edits spliced in: the BMC's own formatting, property
//! order and untouched values are kept byte for byte. A string the rules must rewrite that holds
//! a JSON escape (`"\/redfish\/v1/..."`, which some encoders write) has no position in the input;
//! such a body takes the tree path, whose result it must equal anyway.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{
    BmcContext, Direction, KeyKind, Localize, key_kind, localize_body, member_root,
    replace_literals, rewrite_http_header,
};

/// A localized reply body.
pub struct Localized {
    /// The body to send: the input itself when nothing changed.
    pub body: Vec<u8>,
    /// The top-level `@odata.type`, for a `Link: rel=describedby` header.
    pub odata_type: Option<String>,
}

/// Localizes the JSON document `input` (a BMC's reply). `Err` when it is not valid JSON.
pub fn localize_json(input: &[u8], ctx: &BmcContext) -> Result<Localized, serde_json::Error> {
    let mut scan = Scan {
        base: input.as_ptr() as usize,
        len: input.len(),
        dir: Localize(ctx),
        edits: Vec::new(),
        fallback: false,
        depth: 0,
        top_is_object: input.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
        odata_type: None,
    };
    let mut de = serde_json::Deserializer::from_slice(input);
    ValueSeed(&mut scan).deserialize(&mut de)?;
    de.end()?;
    if scan.fallback {
        let mut value: Value = serde_json::from_slice(input)?;
        localize_body(&mut value, ctx);
        let odata_type = value
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        return Ok(Localized {
            body: serde_json::to_vec(&value)?,
            odata_type,
        });
    }
    Ok(Localized {
        body: splice(input, scan.edits),
        odata_type: scan.odata_type,
    })
}

/// Replace `start..end` of the input by `text` (already JSON-escaped, without quotes).
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn splice(input: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    // An object's Id and Message are edited when the object ends, after its children.
    edits.sort_unstable_by_key(|e| e.start);
    let grow: usize = edits.iter().map(|e| e.text.len()).sum();
    let mut out = Vec::with_capacity(input.len() + grow);
    let mut copied = 0;
    for edit in edits {
        out.extend_from_slice(&input[copied..edit.start]);
        out.extend_from_slice(edit.text.as_bytes());
        copied = edit.end;
    }
    out.extend_from_slice(&input[copied..]);
    out
}

/// `s` as the inside of a JSON string literal.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

struct Scan<'c> {
    base: usize,
    len: usize,
    dir: Localize<'c>,
    edits: Vec<Edit>,
    /// A string to rewrite had escapes: the tree path must do this body.
    fallback: bool,
    /// Objects nested in objects; 1 is the document itself when `top_is_object`.
    depth: usize,
    top_is_object: bool,
    odata_type: Option<String>,
}

/// Where a string of the input lies; `None` when it is not borrowed from it (it had escapes).
type Span = Option<(usize, usize)>;

impl Scan<'_> {
    fn span(&self, s: &str) -> Span {
        let start = (s.as_ptr() as usize).checked_sub(self.base)?;
        (start + s.len() <= self.len).then_some((start, start + s.len()))
    }

    /// Replaces the string at `span` by `new`, or asks for the tree path.
    fn edit(&mut self, span: Span, new: &str) {
        match span {
            Some((start, end)) => self.edits.push(Edit {
                start,
                end,
                text: escape(new),
            }),
            None => self.fallback = true,
        }
    }

    /// A link string: localized in place. Returns the string as the aggregate sees it.
    fn link<'s>(&mut self, s: &'s str, span: Span) -> Cow<'s, str> {
        match self.dir.text(s) {
            Some(Cow::Owned(mapped)) => {
                self.edit(span, &mapped);
                Cow::Owned(mapped)
            }
            _ => Cow::Borrowed(s),
        }
    }
}

/// What a property's value is to the rules.
#[derive(Clone, Copy)]
enum Role {
    Kind(KeyKind),
    OdataId,
    Id,
    Message,
    OdataType,
}

fn role(key: &str) -> Role {
    match key {
        "@odata.id" => Role::OdataId,
        "Id" => Role::Id,
        "Message" => Role::Message,
        "@odata.type" => Role::OdataType,
        _ => Role::Kind(key_kind(key)),
    }
}

/// Any JSON value: objects get the rules, arrays are walked, scalars skipped.
struct ValueSeed<'a, 'c>(&'a mut Scan<'c>);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ValueVisitor(self.0))
    }
}

struct ValueVisitor<'a, 'c>(&'a mut Scan<'c>);

macro_rules! skip_scalars {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

impl<'de> Visitor<'de> for ValueVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    skip_scalars!();
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ValueSeed(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        object(self.0, map)
    }
}

/// The properties of one object the rules look at together, found while it is read.
#[derive(Default)]
struct Object<'de> {
    /// `@odata.id` after localizing.
    odata_id: Option<Cow<'de, str>>,
    id: Option<(Cow<'de, str>, Span)>,
    message: Option<(Cow<'de, str>, Span)>,
    /// (old, new) message args, mirrored into `Message`.
    replaced: Vec<(String, String)>,
}

fn object<'de, A: MapAccess<'de>>(scan: &mut Scan<'_>, mut map: A) -> Result<(), A::Error> {
    scan.depth += 1;
    let mut obj = Object::default();
    while let Some(role) = map.next_key_seed(KeySeed)? {
        match role {
            Role::Kind(KeyKind::Plain) => map.next_value_seed(ValueSeed(scan))?,
            Role::Kind(KeyKind::Link) => map.next_value_seed(LinkSeed { scan, top: true })?,
            Role::OdataId => {
                if let Some(uri) = map.next_value_seed(OdataIdSeed(scan))? {
                    obj.odata_id = Some(uri);
                }
            }
            Role::Kind(KeyKind::Context) => map.next_value_seed(ContextSeed(scan))?,
            Role::Kind(KeyKind::MessageArgs) => map.next_value_seed(ArgsSeed {
                scan,
                replaced: &mut obj.replaced,
            })?,
            Role::Kind(KeyKind::HttpHeaders) => map.next_value_seed(HeadersSeed(scan))?,
            Role::Id => obj.id = map.next_value_seed(KeptStringSeed(scan))?,
            Role::Message => obj.message = map.next_value_seed(KeptStringSeed(scan))?,
            Role::OdataType => {
                let top = scan.depth == 1 && scan.top_is_object;
                if let Some((t, _)) = map.next_value_seed(KeptStringSeed(scan))?
                    && top
                {
                    scan.odata_type = Some(t.into_owned());
                }
            }
        }
    }
    scan.depth -= 1;
    finish_object(scan, obj);
    Ok(())
}

/// The rules that join properties of one object: the `Message` mirrors its rewritten
/// `MessageArgs`, and a member root's `Id` takes the prefix its `@odata.id` got.
fn finish_object(scan: &mut Scan<'_>, mut obj: Object<'_>) {
    if !obj.replaced.is_empty()
        && let Some((message, span)) = &obj.message
        && let Some(mapped) = replace_literals(message, &mut obj.replaced)
    {
        scan.edit(*span, &mapped);
    }
    if let (Some(odata_id), Some((id, span))) = (&obj.odata_id, &obj.id)
        && let Some(member) = member_root(odata_id, scan.dir.bmc())
        && let Some(new) = scan.dir.id(id, member)
    {
        scan.edit(*span, &new);
    }
}

/// Reads a key and tells its role (keys are never rewritten, so escapes do not matter).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Role;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Role, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Role;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }
    fn visit_str<E>(self, key: &str) -> Result<Role, E> {
        Ok(role(key))
    }
}

/// A string kept for an object rule (`Id`, `Message`, `@odata.type`) with its position; any other
/// value is walked and yields `None`.
struct KeptStringSeed<'a, 'c>(&'a mut Scan<'c>);

impl<'de> DeserializeSeed<'de> for KeptStringSeed<'_, '_> {
    type Value = Option<(Cow<'de, str>, Span)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(KeptStringVisitor(self.0))
    }
}

struct KeptStringVisitor<'a, 'c>(&'a mut Scan<'c>);

impl<'de> Visitor<'de> for KeptStringVisitor<'_, '_> {
    type Value = Option<(Cow<'de, str>, Span)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    skip_scalars!();
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Some((Cow::Borrowed(s), self.0.span(s))))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some((Cow::Owned(s.to_owned()), None)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ValueVisitor(self.0).visit_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        object(self.0, map).map(|()| None)
    }
}

/// `@odata.id`: a link whose localized form the `Id` rule needs.
struct OdataIdSeed<'a, 'c>(&'a mut Scan<'c>);

impl<'de> DeserializeSeed<'de> for OdataIdSeed<'_, '_> {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(OdataIdVisitor(self.0))
    }
}

struct OdataIdVisitor<'a, 'c>(&'a mut Scan<'c>);

impl<'de> Visitor<'de> for OdataIdVisitor<'_, '_> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    skip_scalars!();
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        let span = self.0.span(s);
        Ok(Some(self.0.link(s, span)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(self.0.link(s, None).into_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        LinkVisitor {
            scan: self.0,
            top: true,
        }
        .visit_seq(seq)
        .map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        object(self.0, map).map(|()| None)
    }
}

/// A link property: a string, or an array whose strings are links (nested arrays and objects
/// are walked as any value).
struct LinkSeed<'a, 'c> {
    scan: &'a mut Scan<'c>,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for LinkSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(LinkVisitor {
            scan: self.scan,
            top: self.top,
        })
    }
}

struct LinkVisitor<'a, 'c> {
    scan: &'a mut Scan<'c>,
    top: bool,
}

impl<'de> Visitor<'de> for LinkVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    skip_scalars!();
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        let span = self.scan.span(s);
        self.scan.link(s, span);
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.scan.link(s, None);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.top {
            return ValueVisitor(self.scan).visit_seq(seq);
        }
        while seq
            .next_element_seed(LinkSeed {
                scan: self.scan,
                top: false,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        object(self.scan, map)
    }
}

/// `@odata.context`: an absolute BMC origin is removed.
struct ContextSeed<'a, 'c>(&'a mut Scan<'c>);

impl<'de> DeserializeSeed<'de> for ContextSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Some((value, span)) = KeptStringSeed(self.0).deserialize(d)?
            && let Some(mapped) = self.0.dir.context(&value)
        {
            self.0.edit(span, &mapped);
        }
        Ok(())
    }
}

/// The strings of an array, each handed to `on_string` with its position; anything else walked.
struct StringsSeed<'a, 'c, F> {
    scan: &'a mut Scan<'c>,
    on_string: F,
}

impl<'de, F: FnMut(&mut Scan<'_>, &str, Span)> DeserializeSeed<'de> for StringsSeed<'_, '_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(&mut Scan<'_>, &str, Span)> Visitor<'de> for StringsSeed<'_, '_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    skip_scalars!();
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        // A lone string is no list: the rules leave it alone.
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ItemSeed {
                scan: &mut *self.scan,
                on_string: &mut self.on_string,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        object(self.scan, map)
    }
}

struct ItemSeed<'a, 'c, F> {
    scan: &'a mut Scan<'c>,
    on_string: &'a mut F,
}

impl<'de, F: FnMut(&mut Scan<'_>, &str, Span)> DeserializeSeed<'de> for ItemSeed<'_, '_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Some((s, span)) = KeptStringSeed(&mut *self.scan).deserialize(d)? {
            (self.on_string)(self.scan, &s, span);
        }
        Ok(())
    }
}

/// `MessageArgs`: URIs among them are localized and remembered for the sibling `Message`.
struct ArgsSeed<'a, 'b, 'c> {
    scan: &'a mut Scan<'c>,
    replaced: &'b mut Vec<(String, String)>,
}

impl<'de> DeserializeSeed<'de> for ArgsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let replaced = self.replaced;
        StringsSeed {
            scan: self.scan,
            on_string: |scan: &mut Scan<'_>, arg: &str, span: Span| {
                if let Some(Cow::Owned(mapped)) = scan.dir.text(arg) {
                    scan.edit(span, &mapped);
                    replaced.push((arg.to_owned(), mapped));
                }
            },
        }
        .deserialize(d)
    }
}

/// Task `Payload.HttpHeaders`: `"Location: /redfish/v1/..."`.
struct HeadersSeed<'a, 'c>(&'a mut Scan<'c>);

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        StringsSeed {
            scan: self.0,
            on_string: |scan: &mut Scan<'_>, header: &str, span: Span| {
                if let Some(mapped) = rewrite_http_header(header, &scan.dir) {
                    scan.edit(span, &mapped);
                }
            },
        }
        .deserialize(d)
    }
}
