"""Sending the weekly report: one multipart/alternative message (plain text, then a multipart/related
of the HTML and the chart it shows as ``cid:``; its bars are table cells) over SMTP with STARTTLS and
login, or Amazon SES.

The password comes from finops.toml [email] or FINOPS_SMTP_PASSWORD and is never printed: errors
name the server and what went wrong, nothing else.

Errors tell three cases apart, because `finops refresh` must neither send a week twice nor drop it: the
server said no (or was never reached), so nothing was sent and a later try is safe (FinopsError);
the server took the message for some recipients and refused the others at RCPT, so those have it
and a second send would reach them twice (:class:`PartlyRefused`); or the connection broke while
the message was being handed over, so it may have arrived (:class:`DeliveryUnknown`).

Recipients are checked before anything is sent: an empty address or one with a line break (which
would add headers or SMTP commands of its own) is a usage error, never "sent".
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from finops.config.report import EmailSettings
from finops.errors import FinopsError, UsageError
from finops.report.weekly import Report

ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f<>,;\"]+@[^@\s\x00-\x1f\x7f<>,;\"]+")
"""A bare address, local@domain: no spaces, line breaks or list separators to smuggle in more."""


class DeliveryUnknown(FinopsError):
    """The connection broke after the message was handed to the server: it may or may not arrive."""


class PartlyRefused(FinopsError):
    """The server accepted the message for some recipients and refused ``refused`` at RCPT."""

    def __init__(self, message: str, refused: list[str]) -> None:
        super().__init__(message)
        self.refused = refused


def checked_recipients(addresses: Sequence[str]) -> list[str]:
    """``addresses`` if each is a bare email address; else a usage error naming the first that is not."""
    for address in addresses:
        if not ADDRESS.fullmatch(address):
            raise UsageError(f"email: recipient {address!r} is not an email address")
    return list(addresses)


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain; a resend reuses it, so clients can tell the copies are one."""
    return make_msgid(domain=sender.rpartition("@")[2] or None)


def build_message(report: Report, sender: str, recipients: Sequence[str], message_id: str | None = None) -> EmailMessage:
    """The message: text first (what a plain-text client shows), HTML second (what others show), with
    each picture the HTML names as ``cid:`` attached beside it (multipart/related)."""
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or new_message_id(sender)
    message.set_content(report.text)
    message.add_alternative(report.email_html or report.html, subtype="html")
    html = message.get_payload()[-1]
    for cid, png in report.images.items():
        html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png")
    return message


def send_report(report: Report, settings: EmailSettings, to: Sequence[str] | None = None, *,
                message_id: str | None = None) -> list[str]:
    """Send ``report`` to ``to`` (else [email] to); return the recipients."""
    recipients = checked_recipients(to or settings.to)
    if not recipients:
        raise UsageError("email: no recipients: give --to ADDRESS or set to = [...] in finops.toml [email]")
    if not settings.sender:
        raise UsageError("email: no sender: set sender in finops.toml [email] or FINOPS_EMAIL_FROM")
    if re.search(r"[\x00-\x1f\x7f]", settings.sender):
        raise UsageError(f"email: sender {settings.sender!r} has a line break or control character")
    message = build_message(report, settings.sender, recipients, message_id)
    if settings.transport == "ses":
        _send_ses(message, settings, recipients)
    else:
        _send_smtp(message, settings, recipients)
    return recipients


def _send_smtp(message: EmailMessage, settings: EmailSettings, recipients: list[str]) -> None:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    smtp = _smtp_session(settings, where)
    try:
        refused = smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        raise FinopsError(f"email: {where}: refused every recipient: {_refusals(exc.recipients)}") from None
    except (smtplib.SMTPResponseException, smtplib.SMTPNotSupportedError) as exc:
        raise FinopsError(f"email: {where}: refused: {exc.__class__.__name__}: {exc}") from None
    except OSError as exc:  # disconnected or timed out mid-conversation, maybe after the message went out
        raise DeliveryUnknown(f"email: {where}: the connection broke while sending ({exc.__class__.__name__}: "
                              f"{exc}), so the message may or may not have arrived") from None
    finally:
        _close(smtp)
    if refused:  # smtplib sends to the accepted recipients and only returns the others
        accepted = [r for r in recipients if r not in refused]
        raise PartlyRefused(f"email: {where}: sent to {', '.join(accepted)} only; refused {_refusals(refused)}",
                            [r for r in recipients if r in refused])


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    """Each refused address with the server's reply, e.g. ``b@x (550 5.1.1 no such user)``, on one line."""
    return ", ".join(f"{address} ({code} {' '.join(reply.decode(errors='replace').split())})"
                     for address, (code, reply) in refused.items())


def _smtp_session(settings: EmailSettings, where: str) -> smtplib.SMTP:
    """Connected, encrypted and logged in: nothing was sent yet, so any error here is safe to retry."""
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=60)
        try:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        raise FinopsError(f"email: {where}: login as {settings.smtp_user} refused ({exc.smtp_code})") from None
    except smtplib.SMTPNotSupportedError:
        raise FinopsError(f"email: {where}: the server does not offer STARTTLS (set starttls = false only for a trusted relay)") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise FinopsError(f"email: {where}: {exc.__class__.__name__}: {exc}") from None


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; whatever the server answers now cannot change what was or was not sent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _send_ses(message: EmailMessage, settings: EmailSettings, recipients: list[str]) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError

    try:
        client = boto3.client("sesv2", region_name=settings.ses_region or None)
        client.send_email(
            FromEmailAddress=settings.sender,
            Destination={"ToAddresses": recipients},
            Content={"Raw": {"Data": message.as_bytes()}},
        )
    except (ReadTimeoutError, ConnectionClosedError) as exc:  # the request went out; no answer came back
        raise DeliveryUnknown(f"email: Amazon SES: {exc}, so the message may or may not have been sent") from None
    except (BotoCoreError, ClientError) as exc:
        raise FinopsError(f"email: Amazon SES: {exc}") from None
