//! The `alfresco-imap` command line; everything happens in [`alfresco_imap::cli`].

fn main() -> std::process::ExitCode {
    alfresco_imap::cli::main()
}
