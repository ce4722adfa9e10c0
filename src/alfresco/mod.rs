//! The Alfresco Public REST API v1 client: tickets, people, sites, nodes, content, search.
//!
//! One [`AlfrescoClient`] per repository holds the connection pool, timeouts, retries and
//! call metrics. Everything a user does goes through a [`RepoSession`], which carries that
//! user's credential (normally a ticket from [`AlfrescoClient::login`]) and renews it once on
//! a 401. Every failure is a [`RestError`]; no error, log line or `Debug` output ever holds a
//! password, ticket or token. Configured folder paths become node ids with [`resolve_folder`].
//!
//! ```no_run
//! # async fn example() -> Result<(), alfresco_imap::alfresco::RestError> {
//! use alfresco_imap::alfresco::{
//!     AlfrescoClient, ChildrenQuery, Include, Password, RestOptions, WHERE_PRIMARY_FILES,
//!     repository_url,
//! };
//! let client = AlfrescoClient::new(RestOptions::new(repository_url(
//!     "http", "localhost", 8080, "alfresco",
//! )?))?;
//! let session = client.login("alice", Password::new("alice")).await?;
//! let me = session.me().await?;
//! let inbox = session
//!     .node("-root-", &alfresco_imap::alfresco::NodeQuery {
//!         relative_path: Some(format!("Imap Home/{}/INBOX", me.id)),
//!         ..Default::default()
//!     })
//!     .await?;
//! let messages = session
//!     .all_children(&inbox.id, &ChildrenQuery {
//!         filter: Some(WHERE_PRIMARY_FILES.into()),
//!         include: vec![Include::Properties],
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("{} messages", messages.items.len());
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod content;
pub mod date;
mod discovery;
mod error;
mod metrics;
mod model;
mod nodes;
mod options;
mod paging;
mod params;
mod people;
mod probes;
mod resolve;
mod route;
mod search;
mod secret;
mod session;
mod sites;
mod trashcan;

pub use auth::CreatedTicket;
pub use client::AlfrescoClient;
pub use content::{
    ByteRange, ContentRange, ContentStream, Download, Upload, UploadContent, UploadSource,
    UploadStream,
};
pub use discovery::{ModuleInfo, RepositoryInfo, StatusInfo, VersionInfo};
pub use error::{AuthLoss, ErrorResponse, RestError};
pub use metrics::{CallStats, MetricsSnapshot, RestMetrics, StatusClass};
pub use model::{
    AccessStatus, Association, AssociationInfo, Capabilities, ContentInfo, DeletedNode, Favourite,
    FavouriteTarget, Node, PathElement, PathInfo, PermissionElement, Permissions, Person,
    Preference, Site, SiteContainer, SiteMembership, SiteRole, SiteVisibility, UserInfo,
};
pub use nodes::{DEFAULT_PAGE_SIZE, MY, NewFolder, NodeUpdate, PermissionsUpdate, ROOT, SHARED};
pub use options::{RestOptions, repository_url};
pub use paging::{AllPages, Page, PageRequest, Pagination};
pub use params::{
    ChildrenQuery, Include, MAX_ORDER_BY_KEYS, NodeQuery, OrderBy, WHERE_FILES, WHERE_FOLDERS,
    WHERE_PRIMARY, WHERE_PRIMARY_FILES, WHERE_PRIMARY_FOLDERS,
};
pub use people::{IMAP_FAVOURITES_PREFIX, imap_favourite_site};
pub use probes::Probe;
pub use resolve::{ResolveError, resolve_folder};
pub use route::Endpoint;
pub use search::{
    QueryLanguage, SearchEntry, SearchHit, SearchLimits, SearchLocation, SearchPaging, SearchQuery,
    SearchRequest, SearchResults, SearchScope, SearchSort, SortKind, afts_phrase,
};
pub use secret::{BearerToken, Credential, Password, Ticket};
pub use session::{PasswordRenewer, RepoSession, TicketRenewer};
pub use sites::DOCUMENT_LIBRARY;
