//! The Alfresco Public REST API v1 client: tickets, people, sites, nodes, content, search.
