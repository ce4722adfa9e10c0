//! An HTTP client for the Alfresco REST API (plain reqwest, Basic or ticket authentication)
//! and the test target: the embedded emulator, or a real Alfresco named by
//! `ALFRESCO_IMAP_TEST_URL`.

#![allow(dead_code)]

use std::time::Duration;

use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use base64::Engine;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Path of the core API.
pub const CORE: &str = "/alfresco/api/-default-/public/alfresco/versions/1";
/// Path of the authentication API.
pub const AUTH: &str = "/alfresco/api/-default-/public/authentication/versions/1";
/// Path of the search API.
pub const SEARCH: &str = "/alfresco/api/-default-/public/search/versions/1";

/// Installs the ring crypto provider once (reqwest is built without one).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Where the tests send their requests.
pub struct Target {
    /// `scheme://host:port` (the API paths start with `/alfresco`).
    pub origin: String,
    /// Administrator credentials.
    pub admin: (String, String),
    /// The emulator, when the tests run against it.
    pub emulator: Option<EmulatorHandle>,
}

impl Target {
    /// A real Alfresco when `ALFRESCO_IMAP_TEST_URL` is set (e.g. `http://localhost:8080/alfresco`,
    /// with `ALFRESCO_IMAP_TEST_ADMIN_USER` / `ALFRESCO_IMAP_TEST_ADMIN_PASSWORD`, default
    /// `admin`/`admin`), otherwise a fresh emulator started with `options`.
    pub async fn from_env_or(options: EmulatorOptions) -> Target {
        install_crypto();
        let admin = (
            std::env::var("ALFRESCO_IMAP_TEST_ADMIN_USER").unwrap_or_else(|_| "admin".into()),
            std::env::var("ALFRESCO_IMAP_TEST_ADMIN_PASSWORD").unwrap_or_else(|_| "admin".into()),
        );
        if let Ok(url) = std::env::var("ALFRESCO_IMAP_TEST_URL") {
            let origin = url
                .trim_end_matches('/')
                .trim_end_matches("/alfresco")
                .to_owned();
            return Target {
                origin,
                admin,
                emulator: None,
            };
        }
        let handle = emulator::spawn(options).await.expect("emulator starts");
        Target {
            origin: handle.origin(),
            admin,
            emulator: Some(handle),
        }
    }

    /// A client authenticating with user name and password.
    pub fn user(&self, user: &str, password: &str) -> Api {
        Api::new(&self.origin, Auth::Basic(user.into(), password.into()))
    }

    /// An unauthenticated client.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.origin, Auth::None)
    }
}

/// How a client authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// `Basic base64(user:password)`.
    Basic(String, String),
    /// `Basic base64(ticket)`.
    Ticket(String),
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Body as JSON (`Null` when not JSON).
    pub json: Value,
}

impl Resp {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// `entry` of a single-entity response.
    pub fn entry(&self) -> &Value {
        &self.json["entry"]
    }

    /// The `entry` objects of a list response.
    pub fn entries(&self) -> Vec<Value> {
        self.json["list"]["entries"]
            .as_array()
            .map(|a| a.iter().map(|e| e["entry"].clone()).collect())
            .unwrap_or_default()
    }

    /// `list.pagination`.
    pub fn pagination(&self) -> &Value {
        &self.json["list"]["pagination"]
    }

    /// The value of `field` in every entry.
    pub fn column(&self, field: &str) -> Vec<Value> {
        self.entries().iter().map(|e| e[field].clone()).collect()
    }

    /// The names of the entries.
    pub fn names(&self) -> Vec<String> {
        self.entries()
            .iter()
            .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `error.statusCode` of an error body.
    pub fn error_status(&self) -> Option<u64> {
        self.json["error"]["statusCode"].as_u64()
    }
}

/// A REST client for one user.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    origin: String,
    auth: Auth,
}

impl Api {
    /// A client for `origin` (`http://host:port`).
    pub fn new(origin: &str, auth: Auth) -> Self {
        install_crypto();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self {
            http,
            origin: origin.to_owned(),
            auth,
        }
    }

    /// The same client with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Self {
        Self {
            auth,
            ..self.clone()
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{}", self.origin, path)
        } else {
            format!("{}{CORE}/{}", self.origin, path)
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, self.url(path));
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        match &self.auth {
            Auth::None => rb,
            Auth::Basic(u, p) => rb.header(
                "Authorization",
                format!("Basic {}", b64(&format!("{u}:{p}"))),
            ),
            Auth::Ticket(t) => rb.header("Authorization", format!("Basic {}", b64(t))),
        }
    }

    /// Sends a prepared request.
    pub async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let response = rb.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body read").to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            json,
        }
    }

    /// A request builder for advanced cases (headers, raw bodies).
    pub fn builder(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path)
    }

    /// `GET` (paths without a leading `/` are relative to the core API).
    pub async fn get(&self, path: &str) -> Resp {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    /// `DELETE`.
    pub async fn delete(&self, path: &str) -> Resp {
        Self::send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        Self::send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        Self::send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    /// `POST` multipart (an upload).
    pub async fn upload(&self, path: &str, form: reqwest::multipart::Form) -> Resp {
        Self::send(self.request(reqwest::Method::POST, path).multipart(form)).await
    }

    /// Logs in with `POST tickets` and returns a client using the ticket.
    pub async fn login(&self, user: &str, password: &str) -> Api {
        let r = self
            .post(
                &format!("{AUTH}/tickets"),
                &serde_json::json!({ "userId": user, "password": password }),
            )
            .await;
        assert_eq!(r.status, 201, "login of {user}: {:?}", r.json);
        let ticket = r.entry()["id"].as_str().expect("ticket id").to_owned();
        self.with_auth(Auth::Ticket(ticket))
    }
}

/// A multipart form with a file part.
pub fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    reqwest::multipart::Form::new().part("filedata", part)
}

/// Whether a string is in Alfresco's date format (`2026-11-28T12:57:32.509+0000`).
pub fn is_alfresco_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && s.ends_with("+0000")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && s[..4]
            .chars()
            .chain(s[20..23].chars())
            .all(|c| c.is_ascii_digit())
}
