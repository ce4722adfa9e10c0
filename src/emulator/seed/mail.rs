//! Sample e-mails for the demo INBOXes: plain, with attachments, non-ASCII (RFC 2047 headers and
//! a UTF-8 body), multipart/alternative, and a threaded reply. CRLF line endings throughout.

use base64::Engine;

use super::files;

/// A demo message: the raw RFC 822 bytes and the flags it is seeded with.
pub struct SampleMail {
    /// Stable label for its id.
    pub label: &'static str,
    /// RFC 822 bytes.
    pub bytes: Vec<u8>,
    /// `\Seen`.
    pub seen: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Answered`.
    pub answered: bool,
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn base64_lines(data: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn welcome() -> Vec<u8> {
    crlf(
        "Received: from mail.example.com by imap.example.com; Mon, 2 Feb 2026 09:15:02 +0000\n\
Date: Mon, 2 Feb 2026 09:15:00 +0000\n\
From: Bob Baker <bob@example.com>\n\
To: Alice Adams <alice@example.com>\n\
Subject: Welcome to the marketing site\n\
Message-ID: <welcome-0001@example.com>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
Content-Transfer-Encoding: 7bit\n\
\n\
Hi Alice,\n\
\n\
the marketing site is ready. The spring campaign brief is in\n\
Campaigns/Spring 2026 and the brand guidelines are under Brand.\n\
\n\
Cheers,\n\
Bob\n",
    )
}

fn budget() -> Vec<u8> {
    crlf(
        "Received: from mx.partner.example by imap.example.com; Tue, 3 Feb 2026 14:02:11 +0000\n\
Date: Tue, 3 Feb 2026 15:01:40 +0100\n\
From: Carol Clark <carol@partner.example>\n\
To: Alice Adams <alice@example.com>\n\
Cc: Bob Baker <bob@example.com>, Dave Dunn <dave@partner.example>\n\
Subject: Q1 campaign budget\n\
Message-ID: <budget-q1-7f3a@partner.example>\n\
Thread-Index: AdmJk3Ffq1Q2lW3xT0CsYv6F0a1b2w==\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Alice,\n\
\n\
the proposed budget for the Q1 campaign is 48,000 EUR, split between\n\
print (40%) and online (60%). Could you confirm by Friday?\n\
\n\
Carol\n",
    )
}

fn budget_reply() -> Vec<u8> {
    crlf(
        "Received: from mx.partner.example by imap.example.com; Wed, 4 Feb 2026 08:30:09 +0000\n\
Date: Wed, 4 Feb 2026 09:30:00 +0100\n\
From: Carol Clark <carol@partner.example>\n\
To: Alice Adams <alice@example.com>\n\
Subject: Re: Q1 campaign budget\n\
Message-ID: <budget-q1-7f3b@partner.example>\n\
In-Reply-To: <budget-q1-7f3a@partner.example>\n\
References: <budget-q1-7f3a@partner.example>\n\
Thread-Index: AdmJk3Ffq1Q2lW3xT0CsYv6F0a1b2wAAGw==\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Thanks for the quick approval, the purchase order follows next week.\n\
\n\
Carol\n",
    )
}

fn with_attachments() -> Vec<u8> {
    let pdf = files::pdf(
        "Logo Usage",
        "Bob Baker",
        &["Keep the logo clear of other elements."],
    );
    let png = files::png(16, 16, [0, 82, 155], [255, 255, 255]);
    let text = format!(
        "Received: from mail.example.com by imap.example.com; Thu, 5 Feb 2026 11:00:03 +0000\n\
Date: Thu, 5 Feb 2026 11:00:00 +0000\n\
From: Bob Baker <bob@example.com>\n\
To: Alice Adams <alice@example.com>\n\
Subject: Brand guidelines and logo\n\
Message-ID: <brand-assets-0042@example.com>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"=_assets_boundary\"\n\
\n\
This is a multi-part message in MIME format.\n\
\n\
--=_assets_boundary\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Alice, attached are the logo usage rules and the new logo.\n\
\n\
--=_assets_boundary\n\
Content-Type: application/pdf; name=\"Logo Usage.pdf\"\n\
Content-Disposition: attachment; filename=\"Logo Usage.pdf\"\n\
Content-Transfer-Encoding: base64\n\
\n\
{}\n\
\n\
--=_assets_boundary\n\
Content-Type: image/png; name=\"logo.png\"\n\
Content-Disposition: attachment; filename=\"logo.png\"\n\
Content-Transfer-Encoding: base64\n\
\n\
{}\n\
\n\
--=_assets_boundary--\n",
        base64_lines(&pdf),
        base64_lines(&png)
    );
    crlf(&text)
}

fn non_ascii() -> Vec<u8> {
    crlf(
        "Received: from mx.example.de by imap.example.com; Fri, 6 Feb 2026 16:45:12 +0000\n\
Date: Fri, 6 Feb 2026 17:45:00 +0100\n\
From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg.mueller@example.de>\n\
To: Alice Adams <alice@example.com>\n\
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4g4oCTIMOcYmVyYmxpY2sgUTE=?=\n\
Message-ID: <gruesse-muenchen-2026@example.de>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=UTF-8\n\
Content-Transfer-Encoding: 8bit\n\
\n\
Hallo Alice,\n\
\n\
anbei ein kurzer Überblick über das erste Quartal: die Messe in München\n\
war ein großer Erfolg, und die Broschüren sind fast vergriffen.\n\
\n\
Viele Grüße\n\
Jörg\n",
    )
}

fn newsletter() -> Vec<u8> {
    crlf(
        "Received: from news.example.com by imap.example.com; Mon, 9 Feb 2026 07:00:04 +0000\n\
Date: Mon, 9 Feb 2026 07:00:00 +0000\n\
From: Example News <newsletter@example.com>\n\
To: alice@example.com\n\
Subject: Newsletter February 2026\n\
Message-ID: <newsletter-2026-02@example.com>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/alternative; boundary=\"alt-boundary-1\"\n\
\n\
--alt-boundary-1\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
February highlights: trade fair results, new brand colours, webinar dates.\n\
\n\
--alt-boundary-1\n\
Content-Type: text/html; charset=us-ascii\n\
\n\
<html><body><h1>February highlights</h1><p>Trade fair results, new brand colours, webinar dates.</p></body></html>\n\
\n\
--alt-boundary-1--\n",
    )
}

fn engineering_sync() -> Vec<u8> {
    crlf(
        "Received: from mail.example.com by imap.example.com; Tue, 10 Feb 2026 10:05:01 +0000\n\
Date: Tue, 10 Feb 2026 10:05:00 +0000\n\
From: Alice Adams <alice@example.com>\n\
To: Bob Baker <bob@example.com>\n\
Subject: Engineering sync notes\n\
Message-ID: <eng-sync-0001@example.com>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Bob, could the engineering team review the release checklist before Friday?\n",
    )
}

/// Alice's INBOX, oldest first.
pub fn alice_inbox() -> Vec<SampleMail> {
    let m = |label, bytes, seen, flagged, answered| SampleMail {
        label,
        bytes,
        seen,
        flagged,
        answered,
    };
    vec![
        m("alice/welcome", welcome(), true, false, false),
        m("alice/budget", budget(), true, false, true),
        m("alice/budget-reply", budget_reply(), false, false, false),
        m("alice/brand-assets", with_attachments(), false, true, false),
        m("alice/gruesse", non_ascii(), false, false, false),
        m("alice/newsletter", newsletter(), false, false, false),
    ]
}

/// Bob's INBOX.
pub fn bob_inbox() -> Vec<SampleMail> {
    vec![SampleMail {
        label: "bob/engineering-sync",
        bytes: engineering_sync(),
        seen: false,
        flagged: false,
        answered: false,
    }]
}
