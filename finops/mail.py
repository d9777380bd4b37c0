"""Sending the weekly report: one multipart/alternative message (plain text, then the HTML, whose
bars are table cells, so it needs no image parts) over SMTP with STARTTLS and login, or Amazon SES.

The password comes from finops.toml [email] or FINOPS_SMTP_PASSWORD and is never printed: errors
name the server and what went wrong, nothing else.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .errors import FinopsError, UsageError
from .report import Report
from .report_config import EmailSettings


def build_message(report: Report, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The message: text first (what a plain-text client shows), HTML second (what others show)."""
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(report.text)
    message.add_alternative(report.html, subtype="html")
    return message


def send_report(report: Report, settings: EmailSettings, to: Sequence[str] | None = None) -> list[str]:
    """Send ``report`` to ``to`` (else [email] to); return the recipients."""
    recipients = list(to or settings.to)
    if not recipients:
        raise UsageError("email: no recipients: give --to ADDRESS or set to = [...] in finops.toml [email]")
    if not settings.sender:
        raise UsageError("email: no sender: set sender in finops.toml [email] or FINOPS_EMAIL_FROM")
    message = build_message(report, settings.sender, recipients)
    if settings.transport == "ses":
        _send_ses(message, settings, recipients)
    else:
        _send_smtp(message, settings, recipients)
    return recipients


def _send_smtp(message: EmailMessage, settings: EmailSettings, recipients: list[str]) -> None:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=60) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise FinopsError(f"email: {where}: login as {settings.smtp_user} refused ({exc.smtp_code})") from None
    except smtplib.SMTPNotSupportedError:
        raise FinopsError(f"email: {where}: the server does not offer STARTTLS (set starttls = false only for a trusted relay)") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise FinopsError(f"email: {where}: {exc.__class__.__name__}: {exc}") from None


def _send_ses(message: EmailMessage, settings: EmailSettings, recipients: list[str]) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.client("sesv2", region_name=settings.ses_region or None)
        client.send_email(
            FromEmailAddress=settings.sender,
            Destination={"ToAddresses": recipients},
            Content={"Raw": {"Data": message.as_bytes()}},
        )
    except (BotoCoreError, ClientError) as exc:
        raise FinopsError(f"email: Amazon SES: {exc}") from None
