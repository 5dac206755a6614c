//! `phonebak backup --what messages` (issue 13): the real binary reads a `--sample` virtual phone's SMS, MMS
//! and call log through the real adb server into `Messages/` as JSON (every message, compared with what the
//! phone holds) and HTML (each message escaped in its conversation's page, conversations named by contact); a
//! second run writes nothing; a message deleted from the phone stays in the backup; a refusal is said with the
//! Android version, exit code 3, the photos still backed up; `restore --what messages` says it cannot; in an
//! encrypted folder every file is sealed under a hashed name and `messages export` reads them back.

use crate::util::{AdbServer, event, json_lines, phonebak, said, text};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{AndroidVersion, Config, DeniedProvider, Fault, StorageSource, VirtualPhone};
use std::path::Path;

fn sample_phone(release: &str, faults: Vec<Fault>) -> VirtualPhone {
    VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 3, seed: 7, ..SampleOptions::default() }),
        android: AndroidVersion::parse(release).expect("android"),
        faults,
        ..Config::default()
    })
    .expect("start the virtual phone")
}

/// HTML text escaping as any HTML writer does it (written out here, not phonebak's).
fn escaped(body: &str) -> String {
    body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The conversation each sample address is shown as: its contact's name in the sample address book.
fn title_of(address: &str) -> &str {
    match address {
        "+49 151 23456789" => "Anna Schmidt",
        "+1 (415) 555-0134" => "Bob O'Brien",
        "+33 6 12 34 56 78" => "Chloé Dubois",
        "+971 50 123 4567" => "محمد العلي",
        other => other,
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("json")
}

/// Every file of a folder with its bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("folder")
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect()
}

#[test]
fn backup_what_messages_saves_every_sample_message_to_json_and_to_its_conversations_page_on_android_14_and_9() {
    for release in ["14", "9"] {
        let server = AdbServer::start();
        let phone = sample_phone(release, Vec::new());
        server.connect(&phone, "device");
        let dest = tempfile::tempdir().expect("backup folder");
        let out =
            phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "messages", "--json"]);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        let lines = json_lines(&out);
        let saved = event(&lines, "messages");
        assert_eq!((saved["messages"].as_u64(), saved["conversations"].as_u64()), (Some(43), Some(6)), "{saved}");
        // The shell does not hold READ_CALL_LOG before Android 15: said, not a silent gap, not a failure.
        let refused = event(&lines, "calls_not_saved")["reason"].as_str().unwrap_or_default().to_string();
        assert!(refused.contains(&format!("Android {release}")) && refused.contains("READ_CALL_LOG"), "{refused}");

        let folder = dest.path().join("Pixel 7 (VIRT0001)/Messages");
        let json = read_json(&folder.join("messages.json"));
        let saved_messages = json["messages"].as_array().expect("messages");
        let sms = phone.phone().sms.messages();
        assert_eq!(sms.len(), 40);
        for (id, _, m) in &sms {
            let found = saved_messages.iter().find(|s| {
                s["kind"] == "sms"
                    && s["addresses"] == serde_json::json!([m.address])
                    && s["date_ms"] == m.date_ms
                    && s["box_type"] == m.kind
                    && s["body"] == m.body.as_str()
            });
            let found = found.unwrap_or_else(|| panic!("Android {release}: SMS {id} {:?} is not in the JSON", m.body));
            assert_eq!(found["row"]["id"], *id, "the provider's row is kept");
            assert_eq!(found["row"]["values"]["date_sent"], m.date_sent_ms, "every column is kept");
            let page = std::fs::read_to_string(folder.join(format!("{}.html", title_of(&m.address))))
                .unwrap_or_else(|e| panic!("Android {release}: the page of {}: {e}", m.address));
            assert!(page.contains(&escaped(&m.body)), "Android {release}: {:?} is not in its page", m.body);
        }
        for m in phone.phone().sms.mms() {
            let body: Vec<&str> =
                m.parts.iter().filter(|p| p.content_type == "text/plain").filter_map(|p| p.text.as_deref()).collect();
            let body = body.join("\n");
            let found = saved_messages.iter().find(|s| s["kind"] == "mms" && s["body"] == body.as_str());
            let found = found.unwrap_or_else(|| panic!("Android {release}: the MMS {body:?} is not in the JSON"));
            assert_eq!(found["date_ms"], m.date_s * 1000, "MMS dates are seconds on the phone");
            assert_eq!(found["addresses"], serde_json::json!(m.others));
            let title: Vec<&str> = m.others.iter().map(|a| title_of(a)).collect();
            let page = std::fs::read_to_string(folder.join(format!("{}.html", title.join(", ")))).expect("page");
            assert!(page.contains(&escaped(&body)), "{page}");
        }
        let anna = std::fs::read_to_string(folder.join("Anna Schmidt.html")).expect("Anna's page");
        assert!(!anna.contains("<script>"), "markup from a message must show as text");
        assert!(anna.contains("attachment not saved: image/jpeg IMG_1.jpg"), "{anna}");
        let index = std::fs::read_to_string(folder.join("index.html")).expect("index");
        assert!(index.contains("43 messages in 6 conversations"), "{index}");
        assert!(index.contains("href=\"72345.html\""), "the bank's short code has its own page: {index}");
    }
}

#[test]
fn a_second_backup_writes_nothing_and_a_message_deleted_from_the_phone_stays_in_the_backup() {
    let server = AdbServer::start();
    let phone = sample_phone("14", Vec::new());
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let args = ["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "messages", "--json"];
    let out = phonebak(&server, &args);
    assert!(out.status.success(), "{}", said(&out));
    let folder = dest.path().join("Pixel 7 (VIRT0001)/Messages");
    let before = files(&folder);
    let mtimes: Vec<_> = std::fs::read_dir(&folder)
        .expect("folder")
        .flatten()
        .map(|e| (e.file_name(), e.metadata().and_then(|m| m.modified()).expect("mtime")))
        .collect();

    let out = phonebak(&server, &args);
    assert!(out.status.success(), "{}", said(&out));
    let again = event(&json_lines(&out), "messages").clone();
    assert_eq!((again["unchanged"].as_bool(), again["files_written"].as_u64()), (Some(true), Some(0)), "{again}");
    assert_eq!(files(&folder), before);
    for (name, mtime) in &mtimes {
        let now = std::fs::metadata(folder.join(name)).and_then(|m| m.modified()).expect("mtime");
        assert_eq!(&now, mtime, "{name:?} was rewritten");
    }

    // The owner deletes a message on the phone (as the SMS app can; the shell cannot).
    let (id, _, gone) = phone
        .phone()
        .sms
        .messages()
        .into_iter()
        .find(|(_, _, m)| m.body.starts_with("Running late"))
        .expect("the sample message");
    assert!(phone.phone().sms.remove(id));
    let out = phonebak(&server, &args);
    assert!(out.status.success(), "{}", said(&out));
    let saved = event(&json_lines(&out), "messages").clone();
    assert_eq!((saved["messages"].as_u64(), saved["only_in_backup"].as_u64()), (Some(43), Some(1)), "{saved}");
    let json = read_json(&folder.join("messages.json"));
    let kept = json["messages"].as_array().expect("messages").iter().find(|m| m["row"]["id"] == id).cloned();
    let kept = kept.expect("the deleted message is still in the backup");
    assert_eq!((kept["body"].as_str(), kept["only_in_backup"].as_bool()), (Some(gone.body.as_str()), Some(true)));
    let page = std::fs::read_to_string(folder.join(format!("{}.html", title_of(&gone.address)))).expect("page");
    assert!(page.contains(&escaped(&gone.body)) && page.contains("no longer on the phone"), "{page}");
}

#[test]
fn on_android_15_the_call_log_is_saved_with_names_from_the_address_book() {
    let server = AdbServer::start();
    let phone = sample_phone("15", Vec::new());
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "messages"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Saved 43 messages in 6 conversations"), "{}", said(&out));
    assert!(text(&out.stdout).contains("and 12 calls"), "{}", said(&out));
    let folder = dest.path().join("Pixel 7 (VIRT0001)/Messages");
    let json = read_json(&folder.join("calls.json"));
    let calls = json["calls"].as_array().expect("calls");
    let on_phone = phone.phone().calls.calls();
    assert_eq!(calls.len(), on_phone.len());
    for c in &on_phone {
        assert!(
            calls.iter().any(|s| s["number"] == c.number.as_str()
                && s["date_ms"] == c.date_ms
                && s["duration_s"] == c.duration_s),
            "{c:?} is not in calls.json"
        );
    }
    let page = std::fs::read_to_string(folder.join("calls.html")).expect("calls.html");
    // "+14155550134" in the log is "+1 (415) 555-0134" in the address book.
    assert!(page.contains("Bob O&#39;Brien") && page.contains("withheld") && page.contains("missed"), "{page}");
    let index = std::fs::read_to_string(folder.join("index.html")).expect("index");
    assert!(index.contains("href=\"calls.html\""), "{index}");
}

#[test]
fn a_phone_that_refuses_the_shell_its_messages_says_so_with_its_android_version_exits_3_and_backs_up_the_photos() {
    let server = AdbServer::start();
    let phone = sample_phone("10", vec![Fault::Deny(DeniedProvider::Sms)]);
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "photos,messages"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(text(&out.stdout).contains("Backed up "), "the photos were not backed up: {}", said(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("messages not saved") && err.contains("Android 10") && err.contains("Permission Denial"),
        "{err}"
    );
    assert!(!dest.path().join("Pixel 7 (VIRT0001)/Messages").exists());
}

#[test]
fn a_dry_run_counts_and_writes_nothing_and_the_engine_count_is_cheap_and_right() {
    let server = AdbServer::start();
    let phone = sample_phone("14", vec![Fault::Deny(DeniedProvider::Calls)]);
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out =
        phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "messages", "--dry-run"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Would save 43 messages in 6 conversations."), "{}", said(&out));
    assert!(text(&out.stderr).contains("call log was not saved"), "{}", said(&out));
    assert!(!dest.path().join("Pixel 7 (VIRT0001)").exists());

    let device = crate::util::device_of(&server, &phone);
    let before = phone.stats();
    let count = phonebak::messages::count(&device, 34).expect("count");
    assert_eq!((count.messages, count.conversations, count.mms_counted), (43, 6, true));
    let spent = phone.stats();
    assert!(
        spent.shell_commands.saturating_sub(before.shell_commands) <= 2,
        "count takes one query for SMS and one for MMS: {before:?} -> {spent:?}"
    );
    // Reading everything: the SMS (ids, integers, 5 text columns), the MMS (ids, integers, 4 text columns), their
    // parts (ids, integers, 4 text columns), one `IS NULL` query for each text column that printed `NULL` (SMS
    // subject and service_center, MMS sub, part name, cl and text) and one address query per MMS (3 here).
    let before = phone.stats();
    let read = phonebak::messages::read_messages(&device, 34).expect("read");
    assert_eq!(read.messages.len(), 43);
    let spent = phone.stats().shell_commands - before.shell_commands;
    assert_eq!(spent, 7 + 6 + 6 + 6 + 3, "one `content query` per MMS for its addresses");
}

#[test]
fn restore_what_messages_says_android_lets_only_the_sms_app_write_them_and_points_to_the_pages() {
    let server = AdbServer::start();
    let phone = sample_phone("14", Vec::new());
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    assert!(phonebak(&server, &["backup", "--to", dest_arg, "--what", "messages"]).status.success());
    let out = phonebak(&server, &["restore", "--from", dest_arg, "--what", "messages"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let err = text(&out.stderr);
    assert!(err.contains("only the phone's default SMS app") && err.contains("cannot put them back"), "{err}");
    assert!(err.contains("Pixel 7 (VIRT0001)/Messages/index.html"), "{err}");
}

/// Every file under `dir`, recursively, with its modification time.
fn every_file(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, std::time::SystemTime> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("folder").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                out.insert(entry.path(), meta.modified().expect("mtime"));
            }
        }
    }
    out
}

#[test]
fn messages_in_an_encrypted_backup_are_sealed_a_rerun_writes_nothing_a_deleted_one_stays_and_export_reads_them() {
    let server = AdbServer::start();
    let phone = sample_phone("14", Vec::new());
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let args = ["backup", "--to", dest_arg, "--what", "messages"];
    let out = crate::util::phonebak_with_password(&server, &[&args[..], &["--encrypt"]].concat());
    assert!(out.status.success(), "{}", said(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Saved 43 messages in 6 conversations to") && stdout.contains("(encrypted)"),
        "{}",
        said(&out)
    );
    assert!(stdout.contains("phonebak messages export --from"), "{}", said(&out));

    // No file of the folder shows a message, a number, or the word Messages in its path.
    let sms = phone.phone().sms.messages();
    let mut secrets: Vec<Vec<u8>> =
        sms.iter().map(|(_, _, m)| m.body.as_bytes()).filter(|b| b.len() >= 8).map(<[u8]>::to_vec).collect();
    secrets.extend([b"23456789".to_vec(), b"555-0134".to_vec(), b"Anna Schmidt".to_vec(), b"<html".to_vec()]);
    assert!(secrets.len() > 20, "{} secrets", secrets.len());
    let before = every_file(dest.path());
    for file in before.keys() {
        let shown = file.to_string_lossy().into_owned();
        assert!(!shown.contains("Messages") && !shown.contains("Pixel 7"), "a name shows: {shown}");
        let bytes = std::fs::read(file).expect("read");
        for secret in &secrets {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret), "{shown} holds {}", text(secret));
        }
    }

    // The same messages again: nothing written.
    let out = crate::util::phonebak_with_password(&server, &args);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("unchanged since the last backup"), "{}", said(&out));
    // The folder's lock file is taken by every run; every other file stays as it was.
    let unlocked = |mut files: std::collections::BTreeMap<std::path::PathBuf, std::time::SystemTime>| {
        files.remove(&dest.path().join(".phonebak/lock"));
        files
    };
    assert_eq!(unlocked(every_file(dest.path())), unlocked(before.clone()), "the second run wrote files");

    // A message deleted on the phone stays in the backup.
    let (id, _, gone) =
        sms.iter().find(|(_, _, m)| m.body.starts_with("Running late")).cloned().expect("the sample message");
    assert!(phone.phone().sms.remove(id));
    let out = crate::util::phonebak_with_password(&server, &args);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("Saved 43 messages")
            && text(&out.stdout).contains("1 of them are no longer on the phone"),
        "{}",
        said(&out)
    );

    // `messages export` writes readable pages holding every message, the deleted one too.
    let out_dir = tempfile::tempdir().expect("export folder");
    let exported = out_dir.path().join("export");
    let out = crate::util::phonebak_with_password(
        &server,
        &["messages", "export", "--from", dest_arg, "-o", exported.to_str().expect("utf8")],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Wrote 43 messages in 6 conversations"), "{}", said(&out));
    let folder = exported.join("Pixel 7 (VIRT0001)");
    for (_, _, m) in &sms {
        let page = std::fs::read_to_string(folder.join(format!("{}.html", title_of(&m.address))))
            .unwrap_or_else(|e| panic!("the page of {}: {e}", m.address));
        assert!(page.contains(&escaped(&m.body)), "{:?} is not in its page", m.body);
    }
    for m in phone.phone().sms.mms() {
        let body: Vec<&str> =
            m.parts.iter().filter(|p| p.content_type == "text/plain").filter_map(|p| p.text.as_deref()).collect();
        let title: Vec<&str> = m.others.iter().map(|a| title_of(a)).collect();
        let page = std::fs::read_to_string(folder.join(format!("{}.html", title.join(", ")))).expect("page");
        assert!(page.contains(&escaped(&body.join("\n"))), "{page}");
    }
    let page = std::fs::read_to_string(folder.join(format!("{}.html", title_of(&gone.address)))).expect("page");
    assert!(page.contains(&escaped(&gone.body)) && page.contains("no longer on the phone"), "{page}");
    let json = read_json(&folder.join("messages.json"));
    assert_eq!(json["messages"].as_array().map(Vec::len), Some(43));
    let index = std::fs::read_to_string(folder.join("index.html")).expect("index");
    assert!(index.contains("43 messages in 6 conversations"), "{index}");

    // A readable copy inside the backup folder is refused.
    let inside = dest.path().join("readable");
    let out = crate::util::phonebak_with_password(
        &server,
        &["messages", "export", "--from", dest_arg, "-o", inside.to_str().expect("utf8")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(text(&out.stderr).contains("inside the backup folder") && !inside.exists(), "{}", said(&out));

    // The restore cannot put messages back, and says how to read them.
    let out = crate::util::phonebak_with_password(&server, &["restore", "--from", dest_arg, "--what", "messages"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let err = text(&out.stderr);
    assert!(err.contains("cannot put them back") && err.contains("phonebak messages export --from"), "{err}");
}

#[test]
fn adb_shell_content_query_reads_the_sample_mms_its_parts_and_addresses_and_the_call_log_refusal() {
    let server = AdbServer::start();
    let phone = sample_phone("14", Vec::new());
    server.connect(&phone, "device");
    let out =
        server.on(&phone, &["shell", "content query --uri content://mms --projection _id:date:msg_box --sort _id"]);
    let rows = text(&out.stdout);
    assert_eq!(rows.lines().count(), 3, "{rows}");
    let date: i64 = rows
        .lines()
        .next()
        .and_then(|l| l.split("date=").nth(1))
        .and_then(|d| d.split(',').next())
        .and_then(|d| d.parse().ok())
        .expect("a date");
    assert!((1_000_000_000..10_000_000_000).contains(&date), "MMS dates are seconds: {date}");
    let out = server.on(&phone, &["shell", "content query --uri content://mms/1/part --projection seq:ct:text"]);
    assert!(text(&out.stdout).contains("ct=text/plain, text=Look <script>"), "{}", text(&out.stdout));
    let out = server.on(&phone, &["shell", "content query --uri content://mms/3/addr --projection address:type"]);
    assert_eq!(
        text(&out.stdout),
        "Row: 0 address=insert-address-token, type=137\nRow: 1 address=+49 151 23456789, type=151\nRow: 2 \
         address=+33 6 12 34 56 78, type=151\n"
    );
    let out = server.on(
        &phone,
        &["shell", "content query --uri content://mms/1/addr --projection 'type:hex(address) AS address_hex'"],
    );
    assert_eq!(
        text(&out.stdout),
        "Row: 0 type=137, address_hex=2B343920313531203233343536373839\nRow: 1 type=151, address_hex=2B3135353535353530313233\n"
    );
    let out = server.on(&phone, &["shell", "content query --uri content://mms/nothing"]);
    assert_eq!(text(&out.stdout), "No result found.\n");
    let out = server.on(&phone, &["shell", "content query --uri content://call_log/calls"]);
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        text(&out.stderr).starts_with(
            "Error while accessing provider:call_log\njava.lang.SecurityException: Permission Denial: opening \
             provider com.android.providers.contacts.CallLogProvider"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn with_the_contacts_refused_conversations_are_named_by_number_and_the_person_is_told() {
    let server = AdbServer::start();
    let phone = sample_phone("14", vec![Fault::Deny(DeniedProvider::Contacts)]);
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "messages"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stderr).contains("conversations are named by number"), "{}", said(&out));
    let folder = dest.path().join("Pixel 7 (VIRT0001)/Messages");
    let page = std::fs::read_to_string(folder.join("+49 151 23456789.html")).expect("a page named by the number");
    assert!(page.contains("Hi Anna! 👋"), "{page}");
    assert!(!folder.join("Anna Schmidt.html").exists());
}
