//! Putting contacts on a phone (restore from a backup, or any vCard): `content insert` of a raw contact in the
//! phone's own account (no account: the contacts stay on the phone), then one insert per data row. A contact
//! already on the phone (the same name, the same phone numbers and the same emails) is skipped, never
//! duplicated or overwritten.
//!
//! `content insert` prints nothing, not even the new row's id: phonebak lists the raw contacts' ids before and
//! after the insert, and the one new id is the contact's.

use super::{AddressBook, Contact, ContactsError, mimetype, read_contacts};
use crate::content::{ContentError, Provider, Runner, check_output};
use crate::device::command_line;
use std::collections::HashSet;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Contacts added to the phone.
    pub added: usize,
    /// Contacts the phone had already (same name, numbers and emails).
    pub skipped: usize,
    /// Parts that could not be written, for the person (a photo: the shell cannot insert one).
    pub notes: Vec<String>,
}

/// A value of a `--bind`.
enum Bind<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

/// What makes two contacts the same for an import: the name, the phone numbers (their digits) and the emails
/// (lowercase).
fn identity(contact: &Contact) -> (String, Vec<String>, Vec<String>) {
    let mut phones: Vec<String> =
        contact.phones.iter().map(|p| p.value.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()).collect();
    phones.sort();
    phones.dedup();
    let mut emails: Vec<String> = contact.emails.iter().map(|e| e.value.trim().to_lowercase()).collect();
    emails.sort();
    emails.dedup();
    (contact.shown_name().trim().to_lowercase(), phones, emails)
}

/// A text value as `--bind` needs it on Android SDK `sdk`: Android 11+'s `content` splits a binding at
/// unescaped colons, so `\` and `:` get a backslash; before, the value was everything after the second colon.
fn bind_text(value: &str, sdk: u32) -> String {
    if sdk >= 30 { value.replace('\\', "\\\\").replace(':', "\\:") } else { value.to_string() }
}

/// The `content insert` command for `uri` with `binds`.
fn insert_command(uri: &str, binds: &[(&str, Bind<'_>)], sdk: u32) -> Vec<u8> {
    let mut args: Vec<String> = vec!["content".into(), "insert".into(), "--uri".into(), uri.into()];
    for (name, value) in binds {
        args.push("--bind".into());
        args.push(match value {
            Bind::Text(t) => format!("{name}:s:{}", bind_text(t, sdk)),
            Bind::Int(i) => format!("{name}:i:{i}"),
            Bind::Null => format!("{name}:n:"),
        });
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command_line(&args)
}

fn insert(runner: &dyn Runner, sdk: u32, uri: &str, binds: &[(&str, Bind<'_>)]) -> Result<(), ContentError> {
    let out = runner.run(&insert_command(uri, binds, sdk))?;
    check_output(&out, uri, sdk)
}

/// The data rows of `contact` as `(mimetype, binds)`.
fn data_rows(contact: &Contact) -> Vec<(&'static str, Vec<(&'static str, Bind<'_>)>)> {
    fn text(v: Option<&String>) -> Bind<'_> {
        v.map_or(Bind::Null, |t| Bind::Text(t))
    }
    let mut rows = Vec::new();
    let n = &contact.name;
    if n.display.is_some() || n.given.is_some() || n.family.is_some() {
        rows.push((
            mimetype::NAME,
            vec![
                ("data1", text(n.display.as_ref())),
                ("data2", text(n.given.as_ref())),
                ("data3", text(n.family.as_ref())),
                ("data4", text(n.prefix.as_ref())),
                ("data5", text(n.middle.as_ref())),
                ("data6", text(n.suffix.as_ref())),
                ("data7", text(n.phonetic_given.as_ref())),
                ("data8", text(n.phonetic_middle.as_ref())),
                ("data9", text(n.phonetic_family.as_ref())),
            ],
        ));
    }
    for (mime, items) in [
        (mimetype::PHONE, &contact.phones),
        (mimetype::EMAIL, &contact.emails),
        (mimetype::EVENT, &contact.events),
        (mimetype::WEBSITE, &contact.websites),
    ] {
        for item in items {
            let mut binds = vec![("data1", Bind::Text(&item.value)), ("data2", Bind::Int(item.kind))];
            if let Some(label) = &item.label {
                binds.push(("data3", Bind::Text(label)));
            }
            if item.primary {
                binds.push(("is_primary", Bind::Int(1)));
            }
            rows.push((mime, binds));
        }
    }
    for a in &contact.addresses {
        rows.push((
            mimetype::POSTAL,
            vec![
                ("data1", text(a.formatted.as_ref())),
                ("data2", Bind::Int(a.kind)),
                ("data3", text(a.label.as_ref())),
                ("data4", text(a.street.as_ref())),
                ("data5", text(a.pobox.as_ref())),
                ("data6", text(a.neighborhood.as_ref())),
                ("data7", text(a.city.as_ref())),
                ("data8", text(a.region.as_ref())),
                ("data9", text(a.postcode.as_ref())),
                ("data10", text(a.country.as_ref())),
            ],
        ));
    }
    for o in &contact.organizations {
        rows.push((
            mimetype::ORGANIZATION,
            vec![
                ("data1", text(o.company.as_ref())),
                ("data4", text(o.title.as_ref())),
                ("data5", text(o.department.as_ref())),
            ],
        ));
    }
    for note in &contact.notes {
        rows.push((mimetype::NOTE, vec![("data1", Bind::Text(note))]));
    }
    for nick in &contact.nicknames {
        rows.push((mimetype::NICKNAME, vec![("data1", Bind::Text(nick))]));
    }
    rows
}

/// Adds `contacts` to the phone behind `runner` (Android SDK `sdk`), skipping those it has already.
///
/// # Errors
/// The contacts provider refuses the shell (the message names the phone's Android version), or the phone went
/// away; the contacts added before stay, and a new import skips them.
pub fn import(runner: &dyn Runner, sdk: u32, contacts: &[Contact]) -> Result<Imported, ContactsError> {
    let provider = Provider::new(runner, sdk);
    let on_phone: AddressBook = read_contacts(runner, sdk)?;
    let mut known: HashSet<_> = on_phone.contacts.iter().map(identity).collect();
    let mut ids: HashSet<i64> = provider.ids(super::RAW_CONTACTS_URI, None)?.into_iter().collect();
    let mut imported = Imported::default();
    let mut photos_left = 0;
    for contact in contacts {
        let me = identity(contact);
        if known.contains(&me) {
            imported.skipped += 1;
            continue;
        }
        insert(runner, sdk, super::RAW_CONTACTS_URI, &[("account_name", Bind::Null), ("account_type", Bind::Null)])?;
        let after: HashSet<i64> = provider.ids(super::RAW_CONTACTS_URI, None)?.into_iter().collect();
        let new: Vec<i64> = after.difference(&ids).copied().collect();
        let [id] = new.as_slice() else {
            return Err(ContentError::Changed {
                uri: super::RAW_CONTACTS_URI.to_string(),
                android: crate::content::android_name(sdk),
            }
            .into());
        };
        for (mime, mut binds) in data_rows(contact) {
            binds.insert(0, ("raw_contact_id", Bind::Int(*id)));
            binds.insert(1, ("mimetype", Bind::Text(mime)));
            insert(runner, sdk, super::DATA_URI, &binds)?;
        }
        if contact.photo.is_some() {
            photos_left += 1;
        }
        ids = after;
        known.insert(me);
        imported.added += 1;
    }
    if photos_left > 0 {
        imported.notes.push(format!(
            "{photos_left} contact photos were not put back: Android's shell cannot write a photo into the contacts \
             provider (they are in the vCard)."
        ));
    }
    Ok(imported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Name, Typed};

    fn contact(name: &str, phone: &str, email: &str) -> Contact {
        Contact {
            name: Name { display: Some(name.into()), ..Name::default() },
            phones: vec![Typed { value: phone.into(), kind: 2, label: None, primary: false }],
            emails: vec![Typed { value: email.into(), kind: 1, label: None, primary: false }],
            ..Contact::default()
        }
    }

    #[test]
    fn the_same_person_is_the_same_name_numbers_and_emails_whatever_their_spacing_and_case() {
        let a = contact("Ann Lee", "+1 (415) 555-0100", "Ann@Example.com");
        let b = contact(" ann lee", "+14155550100", "ann@example.com ");
        assert_eq!(identity(&a), identity(&b));
        assert_ne!(identity(&a), identity(&contact("Ann Lee", "+1 415 555 0199", "ann@example.com")));
    }

    #[test]
    fn binds_are_quoted_for_the_shell_and_keep_colons_newlines_and_quotes_in_values() {
        let binds = [("data1", Bind::Text("a:b\\\n'c' $(x)")), ("data2", Bind::Int(2)), ("data3", Bind::Null)];
        let command = insert_command("content://com.android.contacts/data", &binds, 34);
        assert_eq!(
            String::from_utf8_lossy(&command),
            "'content' 'insert' '--uri' 'content://com.android.contacts/data' '--bind' 'data1:s:a\\:b\\\\\n'\\''c'\\'' \
             $(x)' '--bind' 'data2:i:2' '--bind' 'data3:n:'",
            "Android 11+: colons and backslashes escaped"
        );
        let command = insert_command("content://com.android.contacts/data", &binds, 29);
        assert!(String::from_utf8_lossy(&command).contains("'data1:s:a:b\\\n'"), "Android 10: the value as it is");
    }
}
