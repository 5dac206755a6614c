//! vCard: phonebak writes 3.0 (RFC 2426 on RFC 2425's text/directory) and reads 2.1, 3.0 and 4.0.
//!
//! Written by hand: the Rust vCard crates write 4.0 only (`vcard`, `vcard4`) or are young (`vcard-rs`), and
//! the format people's address-book apps import most reliably is still 3.0 with the photo inline. Writing:
//! one card per contact, UTF-8, CRLF line ends, text escaped (`\\`, `\,`, `\;`, `\n`), every line folded at 75
//! octets (a fold never splits a UTF-8 character: RFC 6350 section 3.2), `PHOTO;ENCODING=b;TYPE=JPEG` with the
//! picture in base64. Android's custom type labels go in a quoted `TYPE` parameter.
//!
//! Reading takes what phones and Google Contacts export: folded lines (CRLF or LF, space or tab), vCard 2.1's
//! `QUOTED-PRINTABLE` with soft line breaks and `CHARSET` (UTF-8, else ISO-8859-1), bare 2.1 type parameters
//! (`TEL;CELL:`), 2.1's base64 photo block, 4.0's `data:` photo and `tel:` URIs, Google's `itemN.X-ABLabel`
//! labels and escaped colons, and Android's `X-ANDROID-CUSTOM` nicknames.

use super::{Address, Contact, Organization, Typed, kind};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::collections::BTreeMap;

/// The longest line, in octets, without its CRLF (RFC 2425 section 5.8.1, RFC 6350 section 3.2).
pub const MAX_LINE_OCTETS: usize = 75;

/// A vCard file that holds no card.
#[derive(Debug, thiserror::Error)]
pub enum VcardError {
    /// No `BEGIN:VCARD` line.
    #[error("This file holds no contact card (no BEGIN:VCARD line); is it a vCard (.vcf) file?")]
    NoCards,
}

/// Writes every contact as a vCard 3.0 card, one after the other.
#[must_use]
pub fn write_vcards(contacts: &[Contact]) -> String {
    let mut out = String::new();
    for contact in contacts {
        write_vcard(contact, &mut out);
    }
    out
}

/// Escapes a text value (RFC 2426 section 4: backslash, comma, semicolon and new lines).
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at [`MAX_LINE_OCTETS`] (continuations start with one space, counted), each part
/// ended by CRLF, never splitting a UTF-8 character.
pub fn fold_into(line: &str, out: &mut String) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = MAX_LINE_OCTETS - 1;
    }
}

/// A parameter value: bare when it is a safe token, else in double quotes (which it may not contain).
fn param_value(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if !clean.is_empty() && clean.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        clean
    } else {
        format!("\"{clean}\"")
    }
}

fn types_param(types: &[&str], label: Option<&str>, primary: bool) -> String {
    let mut values: Vec<String> = types.iter().map(|t| (*t).to_string()).collect();
    if let Some(label) = label.filter(|l| !l.trim().is_empty()) {
        values.push(param_value(label));
    }
    if primary {
        values.push("PREF".to_string());
    }
    if values.is_empty() { String::new() } else { format!(";TYPE={}", values.join(",")) }
}

fn phone_types(code: i64) -> &'static [&'static str] {
    match code {
        kind::HOME => &["HOME"],
        kind::PHONE_MOBILE => &["CELL"],
        kind::PHONE_WORK => &["WORK"],
        kind::PHONE_FAX_WORK => &["WORK", "FAX"],
        kind::PHONE_FAX_HOME => &["HOME", "FAX"],
        kind::PHONE_PAGER => &["PAGER"],
        8 => &["X-CALLBACK"],
        kind::PHONE_CAR => &["CAR"],
        10 => &["X-COMPANY-MAIN"],
        kind::PHONE_ISDN => &["ISDN"],
        kind::PHONE_MAIN => &["X-MAIN"],
        13 => &["FAX"],
        14 => &["X-RADIO"],
        15 => &["X-TELEX"],
        16 => &["X-TTY-TDD"],
        kind::PHONE_WORK_MOBILE => &["WORK", "CELL"],
        18 => &["WORK", "PAGER"],
        19 => &["X-ASSISTANT"],
        kind::PHONE_MMS => &["MSG"],
        kind::CUSTOM => &[],
        _ => &["VOICE"],
    }
}

fn email_types(code: i64) -> &'static [&'static str] {
    match code {
        kind::HOME => &["INTERNET", "HOME"],
        kind::WORK => &["INTERNET", "WORK"],
        kind::EMAIL_MOBILE => &["INTERNET", "CELL"],
        kind::CUSTOM => &["INTERNET"],
        _ => &["INTERNET", "OTHER"],
    }
}

fn address_types(code: i64) -> &'static [&'static str] {
    match code {
        kind::HOME => &["HOME"],
        kind::WORK => &["WORK"],
        kind::CUSTOM => &[],
        _ => &["OTHER"],
    }
}

const WEBSITE_TYPES: &[&str] = &["", "HOMEPAGE", "BLOG", "PROFILE", "HOME", "WORK", "FTP", "OTHER"];

fn website_types(code: i64) -> &'static [&'static str] {
    match usize::try_from(code) {
        Ok(i @ 1..=7) => std::slice::from_ref(&WEBSITE_TYPES[i]),
        _ => &[],
    }
}

fn structured(parts: &[Option<&str>]) -> String {
    parts.iter().map(|p| escape(p.unwrap_or(""))).collect::<Vec<_>>().join(";")
}

/// Writes one contact as a vCard 3.0 card.
pub fn write_vcard(contact: &Contact, out: &mut String) {
    let mut line = |text: String| fold_into(&text, out);
    line("BEGIN:VCARD".to_string());
    line("VERSION:3.0".to_string());
    let n = &contact.name;
    line(format!("FN:{}", escape(&contact.shown_name())));
    line(format!(
        "N:{}",
        structured(&[
            n.family.as_deref(),
            n.given.as_deref(),
            n.middle.as_deref(),
            n.prefix.as_deref(),
            n.suffix.as_deref()
        ])
    ));
    for (name, value) in [
        ("X-PHONETIC-FIRST-NAME", &n.phonetic_given),
        ("X-PHONETIC-MIDDLE-NAME", &n.phonetic_middle),
        ("X-PHONETIC-LAST-NAME", &n.phonetic_family),
    ] {
        if let Some(v) = value {
            line(format!("{name}:{}", escape(v)));
        }
    }
    // One NICKNAME line each: readers differ on comma-separated lists.
    for nickname in &contact.nicknames {
        line(format!("NICKNAME:{}", escape(nickname)));
    }
    for org in &contact.organizations {
        if org.company.is_some() || org.department.is_some() {
            let parts = if org.department.is_some() {
                vec![org.company.as_deref(), org.department.as_deref()]
            } else {
                vec![org.company.as_deref()]
            };
            line(format!("ORG:{}", structured(&parts)));
        }
        if let Some(title) = &org.title {
            line(format!("TITLE:{}", escape(title)));
        }
    }
    for phone in &contact.phones {
        let types =
            types_param(phone_types(phone.kind), custom_label(phone.kind, phone.label.as_deref()), phone.primary);
        line(format!("TEL{types}:{}", escape(&phone.value)));
    }
    for email in &contact.emails {
        let types =
            types_param(email_types(email.kind), custom_label(email.kind, email.label.as_deref()), email.primary);
        line(format!("EMAIL{types}:{}", escape(&email.value)));
    }
    for adr in &contact.addresses {
        let types = types_param(address_types(adr.kind), custom_label(adr.kind, adr.label.as_deref()), false);
        let has_parts =
            [&adr.street, &adr.pobox, &adr.neighborhood, &adr.city, &adr.region, &adr.postcode, &adr.country]
                .iter()
                .any(|p| p.is_some());
        let street = if has_parts { adr.street.as_deref() } else { adr.formatted.as_deref() };
        line(format!(
            "ADR{types}:{}",
            structured(&[
                adr.pobox.as_deref(),
                adr.neighborhood.as_deref(),
                street,
                adr.city.as_deref(),
                adr.region.as_deref(),
                adr.postcode.as_deref(),
                adr.country.as_deref(),
            ])
        ));
    }
    for note in &contact.notes {
        line(format!("NOTE:{}", escape(note)));
    }
    for event in &contact.events {
        match event.kind {
            kind::EVENT_BIRTHDAY => line(format!("BDAY:{}", escape(&event.value))),
            kind::EVENT_ANNIVERSARY => line(format!("X-ANNIVERSARY:{}", escape(&event.value))),
            k => {
                let types =
                    types_param(if k == kind::CUSTOM { &[] } else { &["OTHER"] }, event.label.as_deref(), false);
                line(format!("X-EVENT{types}:{}", escape(&event.value)));
            }
        }
    }
    for site in &contact.websites {
        let types = types_param(website_types(site.kind), custom_label(site.kind, site.label.as_deref()), false);
        line(format!("URL{types}:{}", escape(&site.value)));
    }
    if let Some(photo) = contact.photo.as_deref().filter(|p| !p.is_empty()) {
        let format = if photo.starts_with(b"\x89PNG") {
            "PNG"
        } else if photo.starts_with(b"GIF8") {
            "GIF"
        } else {
            "JPEG"
        };
        line(format!("PHOTO;ENCODING=b;TYPE={format}:{}", STANDARD.encode(photo)));
    }
    line("END:VCARD".to_string());
}

fn custom_label(code: i64, label: Option<&str>) -> Option<&str> {
    if code == kind::CUSTOM { label } else { None }
}

// ---------------------------------------------------------------------------------------------------------
// Reading.

/// One property line: `group.NAME;PARAM=a,b:value`.
#[derive(Debug, Clone)]
struct Property {
    group: Option<String>,
    name: String,
    /// Parameter name (upper case) → values; bare 2.1 parameters are `TYPE` (or `ENCODING`).
    params: Vec<(String, Vec<String>)>,
    value: Vec<u8>,
}

impl Property {
    fn param(&self, name: &str) -> impl Iterator<Item = &str> {
        self.params.iter().filter(move |(n, _)| n == name).flat_map(|(_, v)| v.iter().map(String::as_str))
    }

    fn types(&self) -> Vec<String> {
        self.param("TYPE").map(str::to_string).collect()
    }

    fn encoding(&self) -> String {
        self.param("ENCODING").next().unwrap_or("").to_ascii_uppercase()
    }

    /// The value as text: quoted-printable decoded, then its charset.
    fn text(&self) -> String {
        let bytes = if self.encoding() == "QUOTED-PRINTABLE" { decode_qp(&self.value) } else { self.value.clone() };
        let charset = self.param("CHARSET").next().unwrap_or("").to_ascii_uppercase();
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) if charset.is_empty() || charset == "UTF-8" || charset == "UTF8" => t.to_string(),
            _ if charset.contains("8859-1") || charset.contains("LATIN") || charset.contains("1252") => latin1(&bytes),
            Ok(t) => t.to_string(),
            Err(_) if charset.is_empty() => latin1(&bytes),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        if self.encoding() == "QUOTED-PRINTABLE" { text.replace("\r\n", "\n") } else { text }
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn decode_qp(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Splits on `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_property(line: &[u8]) -> Option<Property> {
    // The name and parameters end at the first colon outside double quotes.
    let mut quoted = false;
    let colon = line.iter().position(|&b| {
        if b == b'"' {
            quoted = !quoted;
        }
        b == b':' && !quoted
    })?;
    let head = String::from_utf8_lossy(&line[..colon]);
    let mut parts = split_unquoted(&head, ';').into_iter();
    let full_name = parts.next()?.trim();
    let (group, name) = match full_name.rsplit_once('.') {
        Some((g, n)) => (Some(g.to_ascii_uppercase()), n.to_ascii_uppercase()),
        None => (None, full_name.to_ascii_uppercase()),
    };
    let mut params = Vec::new();
    for p in parts {
        let (pname, values) = if let Some((n, v)) = p.split_once('=') {
            (n.trim().to_ascii_uppercase(), v)
        } else {
            let bare = p.trim().to_ascii_uppercase();
            let encodings = ["QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"];
            let pname = if encodings.contains(&bare.as_str()) { "ENCODING" } else { "TYPE" };
            (pname.to_string(), p)
        };
        let values = split_unquoted(values, ',').into_iter().map(|v| v.trim().trim_matches('"').to_string()).collect();
        params.push((pname, values));
    }
    Some(Property { group, name, params, value: line[colon + 1..].to_vec() })
}

/// Logical lines: folding undone (a line starting with a space or tab continues the previous one), and
/// quoted-printable soft line breaks (a QP line ending with `=`) joined.
fn logical_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let is_qp = |line: &[u8]| {
        let head = line.iter().position(|&b| b == b':').map_or(line, |i| &line[..i]);
        String::from_utf8_lossy(head).to_ascii_uppercase().contains("QUOTED-PRINTABLE")
    };
    for raw in bytes.split(|&b| b == b'\n') {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(last) = lines.last_mut() {
            if is_qp(last) && last.ends_with(b"=") {
                last.pop();
                last.extend_from_slice(raw);
                continue;
            }
            if let Some((&(b' ' | b'\t'), rest)) = raw.split_first() {
                last.extend_from_slice(rest);
                continue;
            }
        }
        if !raw.iter().all(u8::is_ascii_whitespace) {
            lines.push(raw.to_vec());
        }
    }
    lines
}

/// Undoes text escapes (`\n`, `\N`, `\\`, `\,`, `\;`, and Google's `\:`).
#[must_use]
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(c @ ('\\' | ',' | ';' | ':')) => out.push(c),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits on an unescaped `sep`, then unescapes each part.
fn split_escaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep {
            parts.push(unescape(&cur));
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    parts.push(unescape(&cur));
    parts
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).cloned()
}

/// Reads every card of a vCard file (2.1, 3.0 or 4.0) into contacts.
pub fn read_vcards(bytes: &[u8]) -> Result<Vec<Contact>, VcardError> {
    let mut cards: Vec<Vec<Property>> = Vec::new();
    let mut current: Option<Vec<Property>> = None;
    let mut depth = 0usize;
    let mut saw_begin = false;
    for line in logical_lines(bytes) {
        let Some(prop) = parse_property(&line) else { continue };
        let value = String::from_utf8_lossy(&prop.value).trim().to_ascii_uppercase();
        if prop.name == "BEGIN" && value == "VCARD" {
            saw_begin = true;
            depth += 1;
            if depth == 1 {
                current = Some(Vec::new());
            }
        } else if prop.name == "END" && value == "VCARD" {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                cards.extend(current.take());
            }
        } else if depth == 1
            && let Some(card) = current.as_mut()
        {
            card.push(prop);
        }
    }
    if !saw_begin {
        return Err(VcardError::NoCards);
    }
    // A last card without END:VCARD (a file cut short) is still read.
    cards.extend(current.take());
    Ok(cards.iter().map(|c| card_to_contact(c)).collect())
}

fn has(types: &[String], name: &str) -> bool {
    types.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// Known type words never taken as a custom label.
const KNOWN_TYPES: &[&str] = &[
    "HOME",
    "WORK",
    "CELL",
    "MOBILE",
    "FAX",
    "PAGER",
    "CAR",
    "ISDN",
    "MSG",
    "VOICE",
    "PREF",
    "INTERNET",
    "OTHER",
    "X-OTHER",
    "X-MAIN",
    "MAIN",
    "X-CALLBACK",
    "X-COMPANY-MAIN",
    "X-RADIO",
    "X-TELEX",
    "TLX",
    "X-TTY-TDD",
    "X-ASSISTANT",
    "X-MOBILE",
    "TEXT",
    "VIDEO",
    "BBS",
    "MODEM",
    "PCS",
    "X400",
    "POSTAL",
    "PARCEL",
    "DOM",
    "INTL",
    "HOMEPAGE",
    "BLOG",
    "PROFILE",
    "FTP",
    "X-INTERNET",
];

fn label_of(types: &[String], group_label: Option<&String>) -> Option<String> {
    group_label
        .cloned()
        .or_else(|| types.iter().find(|t| !KNOWN_TYPES.iter().any(|k| k.eq_ignore_ascii_case(t))).cloned())
        .filter(|l| !l.trim().is_empty())
}

fn phone_kind(types: &[String]) -> i64 {
    let (home, work) = (has(types, "HOME"), has(types, "WORK"));
    if has(types, "FAX") {
        return if home {
            kind::PHONE_FAX_HOME
        } else if work {
            kind::PHONE_FAX_WORK
        } else {
            13
        };
    }
    if has(types, "CELL") || has(types, "MOBILE") {
        return if work { kind::PHONE_WORK_MOBILE } else { kind::PHONE_MOBILE };
    }
    if has(types, "PAGER") {
        return if work { 18 } else { kind::PHONE_PAGER };
    }
    let named = [
        ("HOME", kind::HOME),
        ("WORK", kind::PHONE_WORK),
        ("CAR", kind::PHONE_CAR),
        ("ISDN", kind::PHONE_ISDN),
        ("X-MAIN", kind::PHONE_MAIN),
        ("MAIN", kind::PHONE_MAIN),
        ("MSG", kind::PHONE_MMS),
        ("X-CALLBACK", 8),
        ("X-COMPANY-MAIN", 10),
        ("X-RADIO", 14),
        ("X-TELEX", 15),
        ("TLX", 15),
        ("X-TTY-TDD", 16),
        ("X-ASSISTANT", 19),
    ];
    named.iter().find(|(n, _)| has(types, n)).map_or(kind::PHONE_OTHER, |(_, k)| *k)
}

fn email_kind(types: &[String]) -> i64 {
    if has(types, "HOME") {
        kind::HOME
    } else if has(types, "WORK") {
        kind::WORK
    } else if has(types, "CELL") || has(types, "X-MOBILE") || has(types, "MOBILE") {
        kind::EMAIL_MOBILE
    } else {
        kind::OTHER
    }
}

fn address_kind(types: &[String]) -> i64 {
    if has(types, "HOME") {
        kind::HOME
    } else if has(types, "WORK") {
        kind::WORK
    } else {
        kind::OTHER
    }
}

fn website_kind(types: &[String]) -> i64 {
    (1..WEBSITE_TYPES.len()).find(|&i| has(types, WEBSITE_TYPES[i])).map_or(7, |i| i as i64)
}

/// `19850412` → `1985-04-12`, `--0412` → `--04-12`; other forms as they are.
fn android_date(value: &str) -> String {
    let v = value.trim();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if v.len() == 8 && digits(v) {
        format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..])
    } else if v.len() == 6 && v.starts_with("--") && digits(&v[2..]) {
        format!("--{}-{}", &v[2..4], &v[4..])
    } else {
        v.to_string()
    }
}

fn decode_photo(prop: &Property) -> Option<Vec<u8>> {
    let raw = String::from_utf8_lossy(&prop.value);
    let encoding = prop.encoding();
    let b64 = if encoding == "B" || encoding == "BASE64" {
        raw.to_string()
    } else if let Some(data) = raw.trim().strip_prefix("data:") {
        data.split_once(";base64,")?.1.to_string()
    } else {
        return None;
    };
    let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(clean.as_bytes()).ok().filter(|b| !b.is_empty())
}

fn card_to_contact(props: &[Property]) -> Contact {
    let mut contact = Contact::default();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for p in props {
        if p.name == "X-ABLABEL"
            && let Some(g) = &p.group
        {
            let label = unescape(&p.text());
            // Apple's built-in labels look like `_$!<HomePage>!$_`.
            let label = label.trim_start_matches("_$!<").trim_end_matches(">!$_").to_string();
            labels.insert(g.clone(), label);
        }
    }
    let mut titles = Vec::new();
    for p in props {
        let types = p.types();
        let primary = has(&types, "PREF") || p.param("PREF").next().is_some();
        let group_label = p.group.as_ref().and_then(|g| labels.get(g));
        let make_typed = |value: String, kind_code: i64| {
            let label = label_of(&types, group_label);
            Typed { value, kind: if label.is_some() { kind::CUSTOM } else { kind_code }, label, primary }
        };
        match p.name.as_str() {
            "FN" => contact.name.display = non_empty(Some(&unescape(&p.text()))),
            "N" => {
                let parts = split_escaped(&p.text(), ';');
                let n = &mut contact.name;
                n.family = non_empty(parts.first());
                n.given = non_empty(parts.get(1));
                n.middle = non_empty(parts.get(2));
                n.prefix = non_empty(parts.get(3));
                n.suffix = non_empty(parts.get(4));
            }
            "X-PHONETIC-FIRST-NAME" => contact.name.phonetic_given = non_empty(Some(&unescape(&p.text()))),
            "X-PHONETIC-MIDDLE-NAME" => contact.name.phonetic_middle = non_empty(Some(&unescape(&p.text()))),
            "X-PHONETIC-LAST-NAME" => contact.name.phonetic_family = non_empty(Some(&unescape(&p.text()))),
            "NICKNAME" => {
                contact.nicknames.extend(split_escaped(&p.text(), ',').into_iter().filter(|n| !n.trim().is_empty()));
            }
            "X-ANDROID-CUSTOM" => {
                let parts = split_escaped(&p.text(), ';');
                if parts.first().map(String::as_str) == Some(super::mimetype::NICKNAME) {
                    contact.nicknames.extend(non_empty(parts.get(1)));
                }
            }
            "ORG" => {
                let parts = split_escaped(&p.text(), ';');
                let department = parts.get(1..).map(|d| d.join(";")).filter(|d| !d.trim().is_empty());
                contact.organizations.push(Organization { company: non_empty(parts.first()), title: None, department });
            }
            "TITLE" => titles.extend(non_empty(Some(&unescape(&p.text())))),
            "TEL" => {
                let value = unescape(&p.text());
                let value = value.strip_prefix("tel:").unwrap_or(&value).trim().to_string();
                if !value.is_empty() {
                    contact.phones.push(make_typed(value, phone_kind(&types)));
                }
            }
            "EMAIL" => {
                let value = unescape(&p.text()).trim().to_string();
                if !value.is_empty() {
                    contact.emails.push(make_typed(value, email_kind(&types)));
                }
            }
            "URL" => {
                let value = unescape(&p.text()).trim().to_string();
                if !value.is_empty() {
                    contact.websites.push(make_typed(value, website_kind(&types)));
                }
            }
            "ADR" => {
                let parts = split_escaped(&p.text(), ';');
                let label = label_of(&types, group_label);
                let address = Address {
                    kind: if label.is_some() { kind::CUSTOM } else { address_kind(&types) },
                    label,
                    formatted: None,
                    pobox: non_empty(parts.first()),
                    neighborhood: non_empty(parts.get(1)),
                    street: non_empty(parts.get(2)),
                    city: non_empty(parts.get(3)),
                    region: non_empty(parts.get(4)),
                    postcode: non_empty(parts.get(5)),
                    country: non_empty(parts.get(6)),
                };
                if address != Address::default() {
                    contact.addresses.push(address);
                }
            }
            "NOTE" => contact.notes.extend(non_empty(Some(&unescape(&p.text())))),
            "BDAY" => {
                let date = android_date(&unescape(&p.text()));
                if !date.is_empty() {
                    contact.events.push(Typed { value: date, kind: kind::EVENT_BIRTHDAY, label: None, primary: false });
                }
            }
            "ANNIVERSARY" | "X-ANNIVERSARY" => {
                let date = android_date(&unescape(&p.text()));
                if !date.is_empty() {
                    contact.events.push(Typed {
                        value: date,
                        kind: kind::EVENT_ANNIVERSARY,
                        label: None,
                        primary: false,
                    });
                }
            }
            "X-EVENT" => {
                let date = android_date(&unescape(&p.text()));
                if !date.is_empty() {
                    contact.events.push(make_typed(date, kind::EVENT_OTHER));
                }
            }
            "PHOTO" if contact.photo.is_none() => contact.photo = decode_photo(p),
            _ => {}
        }
    }
    for title in titles {
        if let Some(org) = contact.organizations.iter_mut().find(|o| o.title.is_none()) {
            org.title = Some(title);
        } else {
            contact.organizations.push(Organization { title: Some(title), ..Organization::default() });
        }
    }
    contact
}

#[cfg(test)]
mod tests;
