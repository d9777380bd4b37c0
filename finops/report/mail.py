"""Sending the weekly report: one multipart/alternative message (plain text, then the HTML, whose
bars are table cells, so it needs no image parts) over SMTP with STARTTLS and login, or Amazon SES.

The password comes from finops.toml [email] or FINOPS_SMTP_PASSWORD and is never printed: errors
name the server and what went wrong, nothing else.

Errors tell two cases apart, because `finops refresh` must neither send a week twice nor drop it: the
server said no (or was never reached), so nothing was sent and a later try is safe (FinopsError);
or the connection broke while the message was being handed over, so it may have arrived
(:class:`DeliveryUnknown`).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from finops.errors import FinopsError, UsageError
from finops.report.weekly import Report
from finops.config.report import EmailSettings


class DeliveryUnknown(FinopsError):
    """The connection broke after the message was handed to the server: it may or may not arrive."""


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain; a resend reuses it, so clients can tell the copies are one."""
    return make_msgid(domain=sender.rpartition("@")[2] or None)


def build_message(report: Report, sender: str, recipients: Sequence[str], message_id: str | None = None) -> EmailMessage:
    """The message: text first (what a plain-text client shows), HTML second (what others show)."""
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or new_message_id(sender)
    message.set_content(report.text)
    message.add_alternative(report.html, subtype="html")
    return message


def send_report(report: Report, settings: EmailSettings, to: Sequence[str] | None = None, *,
                message_id: str | None = None) -> list[str]:
    """Send ``report`` to ``to`` (else [email] to); return the recipients."""
    recipients = list(to or settings.to)
    if not recipients:
        raise UsageError("email: no recipients: give --to ADDRESS or set to = [...] in finops.toml [email]")
    if not settings.sender:
        raise UsageError("email: no sender: set sender in finops.toml [email] or FINOPS_EMAIL_FROM")
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
        smtp.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError) as exc:
        raise FinopsError(f"email: {where}: refused: {exc.__class__.__name__}: {exc}") from None
    except OSError as exc:  # disconnected or timed out mid-conversation, maybe after the message went out
        raise DeliveryUnknown(f"email: {where}: the connection broke while sending ({exc.__class__.__name__}: "
                              f"{exc}), so the message may or may not have arrived") from None
    finally:
        _close(smtp)


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
