//! Configuration the Alfresco way: `.properties` layers, placeholders, mount points, a typed
//! and validated [`ImapConfig`].
