//! Matching a message's address to a contact, loosely, as Android's `PhoneNumberUtils.compare` does: a
//! network writes `+4915123456789` where the address book says `+49 151 23456789` or `0151 23456789`, so
//! separators are ignored and the trailing digits compared (at least [`MIN_MATCH`] of them, Android's
//! `MIN_MATCH`), allowing what is left over on one side to be a trunk prefix (`0`) or an international prefix
//! (`00`, or a country code after `+`). Short codes (`72345`) must be equal; addresses that are not numbers
//! (`Google`, an email address) are compared as text, ignoring case.

use crate::contacts::Contact;

/// How many trailing digits must agree for two numbers to be the same (`PhoneNumberUtils.MIN_MATCH`).
pub const MIN_MATCH: usize = 7;

/// The ASCII digits of `number`, in order.
#[must_use]
pub fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `address` looks like a phone number: digits with only the separators people write.
fn is_number(address: &str) -> bool {
    let mut any = false;
    for c in address.chars() {
        match c {
            '0'..='9' => any = true,
            '+' | ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}' => {}
            _ => return false,
        }
    }
    any
}

/// Whether two addresses name the same party (see the module documentation).
#[must_use]
pub fn same_number(a: &str, b: &str) -> bool {
    if !is_number(a) || !is_number(b) {
        return a.trim().eq_ignore_ascii_case(b.trim());
    }
    let (da, db) = (digits(a), digits(b));
    if da == db {
        return true;
    }
    let (short, long) = if da.len() <= db.len() { (&da, &db) } else { (&db, &da) };
    let matched = short.bytes().rev().zip(long.bytes().rev()).take_while(|(x, y)| x == y).count();
    if matched < MIN_MATCH {
        return false;
    }
    let rest_short = &short[..short.len() - matched];
    let rest_long = &long[..long.len() - matched];
    // What is left on either side must be a prefix a dialler adds: nothing, a trunk `0`, `00`, or (on the
    // side written with `+` or `00`) a country code of 1 to 3 digits.
    let prefix = |rest: &str| rest.is_empty() || rest == "0" || (rest.starts_with("00") && rest.len() <= 5);
    let country = |rest: &str| (1..=3).contains(&rest.len());
    (prefix(rest_short) || country(rest_short)) && (prefix(rest_long) || country(rest_long))
}

/// The contacts' names with their numbers and email addresses, to name conversations.
#[derive(Debug, Clone, Default)]
pub struct Names {
    entries: Vec<(String, String)>,
}

impl Names {
    /// Every phone number and email address of `contacts` with the contact's shown name.
    #[must_use]
    pub fn new(contacts: &[Contact]) -> Self {
        let mut entries = Vec::new();
        for contact in contacts {
            let name = contact.shown_name();
            if name.trim().is_empty() {
                continue;
            }
            for value in contact.phones.iter().chain(&contact.emails) {
                entries.push((value.value.clone(), name.clone()));
            }
        }
        Self { entries }
    }

    /// The name of the contact `address` belongs to, if any (the first contact that matches).
    #[must_use]
    pub fn name_of(&self, address: &str) -> Option<&str> {
        self.entries.iter().find(|(value, _)| same_number(value, address)).map(|(_, name)| name.as_str())
    }

    /// A conversation's title: each address's contact name, or the address itself, joined by `, `;
    /// "Unknown sender" when there is none.
    #[must_use]
    pub fn title(&self, addresses: &[String]) -> String {
        let names: Vec<&str> = addresses.iter().map(|a| self.name_of(a).unwrap_or(a.as_str())).collect();
        if names.is_empty() { "Unknown sender".to_string() } else { names.join(", ") }
    }
}
