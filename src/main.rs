//! The `alfresco-imap` command line.

fn main() {
    println!("alfresco-imap");
}
