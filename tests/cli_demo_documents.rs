//! `alfresco-imap demo --documents N`: progress on stderr while seeding, then the big folder
//! served with N messages.

mod common;

use common::demo::{Demo, imap_session};

#[test]
fn demo_seeds_a_big_folder() {
    let state = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(state.path(), &["--documents", "20"]);
    let progress: Vec<String> = demo.stderr.by_ref().take(10).map(Result::unwrap).collect();
    let expected: Vec<String> = (1..=10)
        .map(|tenth| {
            format!(
                "seeding Sites/marketing/documentLibrary/Bulk: {}/20 documents",
                tenth * 2
            )
        })
        .collect();
    assert_eq!(progress, expected);

    let port = demo.banner().imap_port;
    let answer = imap_session(
        port,
        b"a LOGIN alice alice\r\n\
          b EXAMINE \"Alfresco IMAP/Sites/marketing/documentLibrary/Bulk\"\r\n\
          c LOGOUT\r\n",
    );
    drop(demo);
    assert!(answer.contains("* 20 EXISTS\r\n"), "{answer}");
    assert!(answer.ends_with("c OK LOGOUT completed\r\n"), "{answer}");
}
