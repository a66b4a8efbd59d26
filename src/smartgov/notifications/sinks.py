"""Where messages go: SMTP or a local folder for e-mail; a pluggable gateway for SMS.

Every sink is idempotent on ``message_id`` so redelivery after a crash sends nothing twice.
"""

from __future__ import annotations

import json
import os
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from smartgov import clock
from smartgov.settings import Settings


class EmailSender(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None: ...


class SmsGateway(Protocol):
    """A real operator's gateway implements this one method."""

    def send(self, *, to: str, text: str, message_id: str) -> None: ...


def _write_once(path: Path, content: bytes) -> None:
    """Create ``path`` atomically; if it already exists the message was already sent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _email(*, sender: str, to: str, subject: str, body: str, message_id: str) -> EmailMessage:
    """The e-mail as every sender sends it: one Message-ID per message, so a relay or a reader drops a redelivery."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}@smartgov>"
    msg.set_content(body)
    return msg


class FolderEmailSender:
    """Writes each e-mail as ``<data_dir>/mail/<message_id>.eml`` (the default outside production)."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        msg = _email(sender=self.sender, to=to, subject=subject, body=body, message_id=message_id)
        _write_once(self.folder / f"{message_id}.eml", bytes(msg))


class SmtpEmailSender:
    """Sends through SMTP with STARTTLS; the Message-ID lets the relay drop duplicates."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        s = self.settings
        msg = _email(sender=s.smtp_from, to=to, subject=subject, body=body, message_id=message_id)
        assert s.smtp_host
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            smtp.starttls()
            if s.smtp_user and s.smtp_password:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
            smtp.send_message(msg)


class FileSmsGateway:
    """Appends one JSON line per SMS to ``<data_dir>/sms/<message_id>.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, *, to: str, text: str, message_id: str) -> None:
        record = {"to": to, "text": text, "message_id": message_id, "at": clock.now().isoformat()}
        _write_once(self.folder / f"{message_id}.json", json.dumps(record, ensure_ascii=False).encode())


class ConsoleSmsGateway:
    def send(self, *, to: str, text: str, message_id: str) -> None:
        print(f"[sms {message_id}] to {to[:4]}***: {text}")


def get_email_sender(settings: Settings) -> EmailSender:
    if settings.smtp_host:
        return SmtpEmailSender(settings)
    return FolderEmailSender(Path(settings.data_dir) / "mail", settings.smtp_from)


def get_sms_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_gateway == "console":
        return ConsoleSmsGateway()
    return FileSmsGateway(Path(settings.data_dir) / "sms")
