//! Sites: the user's memberships, one site, and its containers (`documentLibrary`).
//!
//! A private site the user is not a member of answers 404, exactly like a missing site.

use super::client::Call;
use super::error::RestError;
use super::model::{Site, SiteContainer, SiteMembership};
use super::paging::{AllPages, Page, PageRequest, collect_all};
use super::route::{Api, Endpoint, Query};
use super::session::RepoSession;

/// The container that holds a site's documents.
pub const DOCUMENT_LIBRARY: &str = "documentLibrary";

impl RepoSession {
    /// One page of the user's site memberships (`GET people/-me-/sites`).
    pub async fn my_sites(&self, page: PageRequest) -> Result<Page<SiteMembership>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        self.page(Call::get(Api::Core, "/people/-me-/sites", &[]).with_query(query))
            .await
    }

    /// All of the user's site memberships, `page_size` at a time.
    pub async fn all_my_sites(
        &self,
        page_size: u32,
    ) -> Result<AllPages<SiteMembership>, RestError> {
        let endpoint = Endpoint {
            method: "GET",
            route: "/people/-me-/sites",
        };
        collect_all(endpoint, PageRequest::first(page_size), |page| {
            self.my_sites(page)
        })
        .await
    }

    /// One site by short name (`GET sites/{siteId}`); 404 when missing or private to others.
    pub async fn site(&self, site_id: &str) -> Result<Site, RestError> {
        self.entry(Call::get(Api::Core, "/sites/{siteId}", &[site_id]))
            .await
    }

    /// One page of a site's containers (`documentLibrary`, `wiki`, `calendar`, …).
    pub async fn site_containers(
        &self,
        site_id: &str,
        page: PageRequest,
    ) -> Result<Page<SiteContainer>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        let call = Call::get(Api::Core, "/sites/{siteId}/containers", &[site_id]);
        self.page(call.with_query(query)).await
    }

    /// One container of a site.
    pub async fn site_container(
        &self,
        site_id: &str,
        container_id: &str,
    ) -> Result<SiteContainer, RestError> {
        let call = Call::get(
            Api::Core,
            "/sites/{siteId}/containers/{containerId}",
            &[site_id, container_id],
        );
        self.entry(call).await
    }

    /// A site's document library; its `folder_id` is the folder node to list.
    pub async fn document_library(&self, site_id: &str) -> Result<SiteContainer, RestError> {
        self.site_container(site_id, DOCUMENT_LIBRARY).await
    }
}
