use super::fake::{Cell, FakePhone};
use super::*;

const URI: &str = "content://com.android.contacts/data";

fn phone_with(values: &[Option<&str>]) -> FakePhone {
    let mut phone = FakePhone::default();
    for (i, v) in values.iter().enumerate() {
        let cell = v.map_or(Cell::Null, |t| Cell::Text(t.to_string()));
        phone.add_row(URI, &[("_id", Cell::Int(10 + i as i64 * 3)), ("data1", cell)]);
    }
    phone
}

fn read(phone: &FakePhone) -> Vec<Option<String>> {
    let provider = Provider::new(phone, 34);
    let ids = provider.ids(URI, None).expect("ids");
    provider.text_column(URI, None, &ids, "data1").expect("column")
}

fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_string)).collect()
}

#[test]
fn hostile_values_survive_commas_equals_newlines_emoji_rtl_and_long_notes() {
    let long = "Long note, with = signs and\nnew lines. ".repeat(130);
    assert!(long.chars().count() >= 5000);
    let values = [
        Some("Smith, John"),
        Some("a=b, c=d, data1=forged"),
        Some("line one\nline two\n\nRow: 5 _id=99, data1=not a row"),
        Some("😀👍🏽 family 👨‍👩‍👧"),
        Some("שלום עולם مرحبا"),
        Some(long.as_str()),
        Some(""),
        None,
        Some("trailing newline\n"),
        Some(" , "),
    ];
    let phone = phone_with(&values);
    assert_eq!(read(&phone), owned(&values));
}

#[test]
fn a_value_forging_the_next_rows_exact_separator_is_read_by_asking_that_row_alone() {
    // Row 0's value holds the exact line row 1 starts with (its _id is 13): the split is ambiguous, so the
    // reader asks row 0 alone.
    let values =
        [Some("evil\nRow: 1 _id=13, data1=fake value"), Some("real second"), Some("third\nRow: 3 _id=99, data1=x")];
    let phone = phone_with(&values);
    assert_eq!(read(&phone), owned(&values));
    let single_queries = phone.calls.borrow().iter().filter(|c| c.iter().any(|a| a.contains("_id=10"))).count();
    assert_eq!(single_queries, 1, "only the ambiguous row is asked again");
}

#[test]
fn the_last_row_may_hold_a_forged_row_after_it() {
    let values = [Some("first"), Some("last\nRow: 2 _id=16, data1=ghost")];
    let phone = phone_with(&values);
    assert_eq!(read(&phone), owned(&values));
}

#[test]
fn null_and_the_text_null_are_told_apart() {
    let values = [Some("NULL"), None, Some("BLOB"), Some(""), None];
    let phone = phone_with(&values);
    assert_eq!(read(&phone), owned(&values));
}

#[test]
fn zero_rows_is_an_empty_table_not_an_error() {
    let mut phone = FakePhone::default();
    phone.tables.insert(URI.to_string(), Vec::new());
    let provider = Provider::new(&phone, 34);
    let rows = provider.table(URI, None, &["raw_contact_id"], &["data1"]).expect("empty table");
    assert!(rows.is_empty());
    assert_eq!(parse_integer_rows("No result found.\n", &["_id"]), Ok(Vec::new()));
}

#[test]
fn integer_columns_are_read_in_one_query_and_refuse_text() {
    let out = "Row: 0 _id=4, raw_contact_id=2, is_primary=NULL\nRow: 1 _id=7, raw_contact_id=-3, is_primary=1\n";
    let rows = parse_integer_rows(out, &["_id", "raw_contact_id", "is_primary"]).expect("integers");
    assert_eq!(rows, vec![vec![Some(4), Some(2), None], vec![Some(7), Some(-3), Some(1)]]);
    let text = "Row: 0 _id=4, raw_contact_id=two\n";
    assert!(parse_integer_rows(text, &["_id", "raw_contact_id"]).is_err());
    let extra = "Row: 0 _id=4, raw_contact_id=2, more=1\n";
    assert!(parse_integer_rows(extra, &["_id", "raw_contact_id"]).is_err());
    let skipped = "Row: 0 _id=4\nRow: 2 _id=5\n";
    assert!(parse_integer_rows(skipped, &["_id"]).is_err(), "rows are numbered 0, 1, 2...");
}

#[test]
fn a_table_is_read_whole_with_integers_and_text() {
    let mut phone = FakePhone::default();
    phone.add_row(
        URI,
        &[("_id", Cell::Int(2)), ("raw_contact_id", Cell::Int(1)), ("data1", Cell::Text("a, b=c".into()))],
    );
    phone.add_row(URI, &[("_id", Cell::Int(1)), ("raw_contact_id", Cell::Null), ("data1", Cell::Null)]);
    let rows = Provider::new(&phone, 34).table(URI, None, &["raw_contact_id"], &["data1"]).expect("table");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].id, 1, "sorted by _id");
    assert_eq!(rows[0].get("data1"), &Value::Null);
    assert_eq!(rows[0].get("raw_contact_id"), &Value::Null);
    assert_eq!(rows[1].text("data1"), Some("a, b=c"));
    assert_eq!(rows[1].int("raw_contact_id"), Some(1));
}

#[test]
fn rows_that_change_between_queries_are_reported_as_changed() {
    let out = "Row: 0 _id=10, data1=a\nRow: 1 _id=12, data1=b\n";
    let mut never = |_k: usize| -> Result<String, ContentError> { panic!("no single query needed") };
    assert!(matches!(split_column(out, &[10, 13], "data1", &mut never), Err(SplitError::Changed)));
    assert!(matches!(split_column("No result found.\n", &[10], "data1", &mut never), Err(SplitError::Changed)));
    assert!(matches!(split_column("garbage", &[10], "data1", &mut never), Err(SplitError::Malformed(_))));
}

fn refusal(stderr: &str) -> ContentError {
    let out = ShellOutput { stdout: Vec::new(), stderr: stderr.as_bytes().to_vec(), exit_code: 0 };
    check_output(&out, "content://com.android.contacts/raw_contacts", 29).expect_err("an error")
}

#[test]
fn permission_denial_names_the_uri_and_the_android_version() {
    let err = refusal(
        "Error while accessing provider:com.android.contacts\n\
         java.lang.SecurityException: Permission Denial: opening provider com.android.providers.contacts.ContactsProvider2 \
         from ProcessRecord{1 2:com.android.shell/2000} (pid=1, uid=2000) requires android.permission.READ_CONTACTS\n\
         \tat android.os.Parcel.createException(Parcel.java:2071)\n",
    );
    assert!(matches!(err, ContentError::PermissionDenied { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("Android 10, SDK 29"), "{message}");
    assert!(message.contains("content://com.android.contacts/raw_contacts"), "{message}");
    assert!(message.contains("READ_CONTACTS"), "{message}");
    assert!(err.is_refusal());
}

#[test]
fn unknown_uris_and_missing_providers_are_unknown_uri() {
    for stderr in [
        "Error while accessing provider:com.android.contacts\njava.lang.IllegalArgumentException: Unknown URL content://com.android.contacts/nope\n",
        "Error while accessing provider:com.android.contacts\njava.lang.IllegalArgumentException: Unknown URI content://com.android.contacts/nope\n",
        "Error while accessing provider:nothing\njava.lang.IllegalStateException: Could not find provider: nothing\n",
    ] {
        let err = refusal(stderr);
        assert!(matches!(err, ContentError::UnknownUri { .. }), "{stderr}: {err:?}");
        assert!(err.to_string().contains("Android 10"));
    }
}

#[test]
fn other_exceptions_and_usage_errors_are_provider_errors() {
    let err = refusal(
        "Error while accessing provider:com.android.contacts\njava.lang.IllegalArgumentException: Invalid column foo\n",
    );
    assert!(matches!(&err, ContentError::Provider { detail, .. } if detail.contains("Invalid column foo")), "{err:?}");
    let usage = ShellOutput {
        stdout: b"usage: adb shell content [subcommand] [options]\n\n[ERROR] Unsupported argument: --bogus\n".to_vec(),
        stderr: Vec::new(),
        exit_code: 0,
    };
    let err = check_output(&usage, URI, 34).expect_err("usage");
    assert!(err.to_string().contains("Unsupported argument: --bogus"), "{err}");
}

#[test]
fn a_phone_without_the_content_command_says_so() {
    let out = ShellOutput {
        stdout: Vec::new(),
        stderr: b"/system/bin/sh: content: inaccessible or not found\n".to_vec(),
        exit_code: 127,
    };
    let err = check_output(&out, URI, 15).expect_err("no content");
    assert!(matches!(err, ContentError::NoContentCommand { .. }));
    assert!(err.to_string().contains("Android 4.0, SDK 15"), "{err}");
}

#[test]
fn rows_with_a_value_that_looks_like_an_error_are_still_rows() {
    let out = ShellOutput {
        stdout: b"Row: 0 _id=1, data1=usage: [ERROR] java.lang.SecurityException: Permission Denial\n".to_vec(),
        stderr: Vec::new(),
        exit_code: 0,
    };
    assert!(check_output(&out, URI, 34).is_ok());
}

#[test]
fn the_query_command_quotes_the_selection() {
    let cmd = query_command(URI, &["_id", "data1"], Some("mimetype='vnd.android.cursor.item/photo'"), true);
    assert_eq!(
        String::from_utf8(cmd).expect("utf-8"),
        "'content' 'query' '--uri' 'content://com.android.contacts/data' '--projection' '_id:data1' \
         '--where' 'mimetype='\\''vnd.android.cursor.item/photo'\\''' '--sort' '_id ASC'"
    );
}

#[test]
fn unknown_uri_through_the_provider_is_an_error_not_a_panic() {
    let phone = FakePhone::default();
    let err = Provider::new(&phone, 33).ids("content://com.android.contacts/raw_contacts", None).expect_err("unknown");
    assert!(matches!(err, ContentError::UnknownUri { .. }), "{err:?}");
    assert!(err.to_string().contains("Android 13"));
}

#[test]
fn a_column_of_twenty_thousand_rows_splits_whole_with_forged_rows_asked_alone() {
    use std::fmt::Write as _;
    let ids: Vec<i64> = (1..=20_000).map(|i| i * 3).collect();
    let value = |k: usize| match k % 1000 {
        // A value forging the next row's separator: only asking the row alone can tell.
        7 => format!("x\nRow: {} _id={}, body=y", k + 1, ids[k + 1]),
        // One forging a later row's separator: once past it, that separator is unique in the rest.
        8 => format!("x\nRow: {} _id={}, body=", k + 5, ids[k + 5]),
        _ => format!("Message {k}, with a comma, = and\na new line"),
    };
    let mut out = String::new();
    for (k, id) in ids.iter().enumerate() {
        let _ = writeln!(out, "Row: {k} _id={id}, body={}", value(k));
    }
    let mut asked = Vec::new();
    let got = split_column(&out, &ids, "body", &mut |k| {
        asked.push(k);
        Ok(value(k))
    })
    .map_err(|e| format!("{e:?}"))
    .expect("split");
    assert_eq!(got.len(), ids.len());
    assert!(got.iter().enumerate().all(|(k, v)| *v == value(k)));
    assert_eq!(asked, (0..20).map(|n| n * 1000 + 7).collect::<Vec<_>>(), "only the rows a forged copy makes ambiguous");
}
