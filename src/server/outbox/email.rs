//! Email over SMTP with lettre (rustls; STARTTLS or TLS as the connection URL says), and the
//! one-click unsubscribe headers of RFC 8058 on every email a member could opt out of.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An SMTP server and the sender address.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// An email ready to go.
pub struct Email<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The one-click unsubscribe address, when the member may opt out of this email.
    pub unsubscribe: Option<&'a str>,
    /// `Message-ID`, so a retry after a lost answer is recognised as the same email.
    pub message_id: String,
}

impl Smtp {
    /// From lettre's connection URL (`smtps://user:pass@host`, `smtp://host:587?tls=required`)
    /// and a sender (`Name <address>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("OMNILOYAL_SMTP_URL is not an SMTP address lettre reads: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("OMNILOYAL_MAIL_FROM is not an address ({e}): {from:?}"))?;
        Ok(Self { transport, from })
    }

    /// Sends one email; the error says why not (refused address, server down...).
    pub async fn send(&self, email: &Email<'_>) -> Result<(), String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("not an email address ({e})"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .message_id(Some(email.message_id.clone()));
        if let Some(url) = email.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.to_string())
            .map_err(|e| format!("the email could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| super::error_chain(&e))
    }
}
