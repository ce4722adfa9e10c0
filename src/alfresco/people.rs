//! People, preferences and favourites: `people/-me-`, `people/-me-/preferences`,
//! `people/-me-/favorites`.
//!
//! Share stores a user's IMAP-favourite sites as one boolean preference per site,
//! `org.alfresco.share.sites.imapFavourites.<site>`. The v1 API cannot filter preferences by
//! prefix, so [`RepoSession::all_preferences`] pages through all of them.

use serde::Serialize;
use serde_json::Value;

use super::client::Call;
use super::error::RestError;
use super::model::{Favourite, Person, Preference};
use super::paging::{AllPages, Page, PageRequest, collect_all};
use super::route::{Api, Endpoint, Query};
use super::session::RepoSession;

/// The preference-name prefix of Share's IMAP-favourite sites; the site short name follows
/// after a dot.
pub const IMAP_FAVOURITES_PREFIX: &str = "org.alfresco.share.sites.imapFavourites";

/// `where` clause of [`RepoSession::favourite_sites`].
const FAVOURITE_SITES: &str = "(EXISTS(target/site))";

impl RepoSession {
    /// The current user (`GET people/-me-`): the canonical user id, e-mail, capabilities.
    pub async fn me(&self) -> Result<Person, RestError> {
        self.entry(Call::get(Api::Core, "/people/-me-", &[])).await
    }

    /// One person by id (`GET people/{id}`).
    pub async fn person(&self, person_id: &str) -> Result<Person, RestError> {
        self.entry(Call::get(Api::Core, "/people/{personId}", &[person_id]))
            .await
    }

    /// One page of all people (`GET people`; for administrative commands).
    pub async fn people(&self, page: PageRequest) -> Result<Page<Person>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        self.page(Call::get(Api::Core, "/people", &[]).with_query(query))
            .await
    }

    /// Every person, `page_size` at a time (`GET people`; for administrative commands).
    pub async fn all_people(&self, page_size: u32) -> Result<AllPages<Person>, RestError> {
        let endpoint = Endpoint {
            method: "GET",
            route: "/people",
        };
        collect_all(endpoint, PageRequest::first(page_size), |page| {
            self.people(page)
        })
        .await
    }

    /// One page of the user's preferences.
    pub async fn preferences(&self, page: PageRequest) -> Result<Page<Preference>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        self.page(Call::get(Api::Core, "/people/-me-/preferences", &[]).with_query(query))
            .await
    }

    /// All of the user's preferences, `page_size` at a time.
    pub async fn all_preferences(&self, page_size: u32) -> Result<AllPages<Preference>, RestError> {
        let endpoint = Endpoint {
            method: "GET",
            route: "/people/-me-/preferences",
        };
        collect_all(endpoint, PageRequest::first(page_size), |page| {
            self.preferences(page)
        })
        .await
    }

    /// One preference, or `None` when it is not set (404).
    pub async fn preference(&self, name: &str) -> Result<Option<Preference>, RestError> {
        let call = Call::get(
            Api::Core,
            "/people/-me-/preferences/{preferenceName}",
            &[name],
        );
        match self.entry(call).await {
            Ok(preference) => Ok(Some(preference)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Sets a preference (`PUT people/-me-/preferences/{name}`; recent repositories only).
    /// A `null` value removes it.
    pub async fn set_preference(&self, name: &str, value: &Value) -> Result<Preference, RestError> {
        #[derive(Serialize)]
        struct Body<'a> {
            id: &'a str,
            value: &'a Value,
        }
        let call = Call::put(
            Api::Core,
            "/people/-me-/preferences/{preferenceName}",
            &[name],
        )
        .with_json(&Body { id: name, value })?;
        self.entry(call).await
    }

    /// One page of the user's favourite sites (`where=(EXISTS(target/site))`). These are
    /// Share's ordinary site favourites, not the IMAP favourites.
    pub async fn favourite_sites(&self, page: PageRequest) -> Result<Page<Favourite>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        query.push("where", FAVOURITE_SITES);
        self.page(Call::get(Api::Core, "/people/-me-/favorites", &[]).with_query(query))
            .await
    }

    /// All of the user's favourite sites, `page_size` at a time.
    pub async fn all_favourite_sites(
        &self,
        page_size: u32,
    ) -> Result<AllPages<Favourite>, RestError> {
        let endpoint = Endpoint {
            method: "GET",
            route: "/people/-me-/favorites",
        };
        collect_all(endpoint, PageRequest::first(page_size), |page| {
            self.favourite_sites(page)
        })
        .await
    }
}

/// The site short name of an IMAP-favourite preference that is set to `true`
/// (`org.alfresco.share.sites.imapFavourites.marketing` = `true` gives `marketing`).
pub fn imap_favourite_site(preference: &Preference) -> Option<&str> {
    let site = preference
        .id
        .strip_prefix(IMAP_FAVOURITES_PREFIX)?
        .strip_prefix('.')?;
    let enabled = match &preference.value {
        Value::Bool(value) => *value,
        Value::String(text) => text == "true",
        _ => false,
    };
    (enabled && !site.is_empty()).then_some(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preference(id: &str, value: Value) -> Preference {
        Preference {
            id: id.to_string(),
            value,
        }
    }

    #[test]
    fn imap_favourites_are_recognised() {
        let prefix = IMAP_FAVOURITES_PREFIX;
        let yes = preference(&format!("{prefix}.marketing"), Value::Bool(true));
        assert_eq!(imap_favourite_site(&yes), Some("marketing"));
        let text = preference(&format!("{prefix}.eng"), Value::String("true".into()));
        assert_eq!(imap_favourite_site(&text), Some("eng"));
        for (id, value) in [
            (format!("{prefix}.marketing"), Value::Bool(false)),
            (format!("{prefix}."), Value::Bool(true)),
            (format!("{prefix}marketing"), Value::Bool(true)),
            (
                "org.alfresco.share.sites.favourites.marketing".into(),
                Value::Bool(true),
            ),
            (format!("{prefix}.x"), Value::Null),
        ] {
            assert_eq!(imap_favourite_site(&preference(&id, value)), None, "{id}");
        }
    }
}
