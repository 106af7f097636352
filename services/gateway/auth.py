"""Accounts: argon2id passwords, one-time email codes, JWT access tokens, rotating refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from services.common.errors import Forbidden, InvalidInput, TooManyRequests, Unauthorized
from services.gateway import audit
from services.gateway.mailer import Mailer, OutgoingMail
from services.gateway.models import EmailCode, RefreshToken, User
from services.gateway.repository import Repository
from services.gateway.settings import GatewaySettings

JWT_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """At least 10 characters, and not guessable: zxcvbn (its dictionaries of common passwords, words,
    names and keyboard patterns, and the account's own email and name) must rate it 3 of 4 or better."""
    if len(password) < 10:
        raise InvalidInput("the password must have at least 10 characters")
    # zxcvbn rates at most 72 characters (and refuses longer input); longer passwords are rated by them.
    rating = zxcvbn(password[:72], user_inputs=[part for part in (email, name) if part])
    if rating["score"] < 3:
        advice = rating["feedback"]["warning"] or "it is too easy to guess"
        raise InvalidInput(f"choose a harder password: {advice.rstrip('.')}")


class AuthService:
    """Account operations. Every email it is given is already canonical (schemas.canonical_email)."""

    def __init__(self, settings: GatewaySettings, mailer: Mailer) -> None:
        self.settings = settings
        self.mailer = mailer
        self.hasher = PasswordHasher()
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def _code_hash(self, code: str) -> str:
        return hmac.new(self.settings.jwt_secret.encode(), code.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _token_hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    async def signup(self, repo: Repository, email: str, password: str, name: str) -> User | None:
        """Create an unverified account; None when the address already has one.

        An existing account is never changed (a second sign-up must not replace the password of an
        account its owner has not verified yet); the caller mails its owner (owner_notice) and answers
        as for a new account. The password is hashed either way, so the time taken does not tell.
        """
        if not name.strip():
            raise InvalidInput("a name is required")
        check_password_strength(password, email=email, name=name)
        password_hash = self.hasher.hash(password)
        if await repo.user_by_email(email) is not None:
            return None
        user = User(email=email, name=name.strip(), password_hash=password_hash, verified=False)
        repo.add(user)
        await repo.session.flush()
        return user

    async def owner_notice(self, repo: Repository, email: str) -> OutgoingMail | None:
        """What the owner of an address is mailed when someone signs up with it again: a new code while
        the account is unverified, a notice once it is verified."""
        user = await repo.user_by_email(email)
        if user is None:
            return None
        if not user.verified:
            return await self.new_code(repo, user, "verify")
        return OutgoingMail(
            user.email,
            "Someone tried to sign up to Screener with your address",
            f"Hello {user.name},\n\nSomeone asked for a new Screener account with this address, which "
            "already has one. Nothing was changed. If it was you, sign in, or reset your password if you "
            "have forgotten it. If it was not, you can ignore this mail.\n",
        )

    async def new_code(self, repo: Repository, user: User, purpose: str) -> OutgoingMail:
        """Store a fresh one-time code (the previous one stops working) and return the mail carrying it."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        now = datetime.now(UTC)
        previous = await repo.latest_code(user.id, purpose)
        if previous is not None:
            previous.consumed_at = now  # only the newest code is valid
        repo.add(
            EmailCode(
                user_id=user.id,
                purpose=purpose,
                code_hash=self._code_hash(code),
                expires_at=now + timedelta(seconds=self.settings.otp_ttl_seconds),
                attempts=0,
            )
        )
        return OutgoingMail(
            user.email,
            "Your Screener verification code",
            f"Hello {user.name},\n\nYour Screener verification code is {code}. "
            f"It expires in {self.settings.otp_ttl_seconds // 60} minutes.\n",
        )

    async def _consume_code(self, repo: Repository, email: str, purpose: str, code: str) -> User:
        """The account a valid, unexpired, unused code belongs to; each try counts, the code is single-use."""
        user = await repo.user_by_email(email)
        if user is None:
            raise Unauthorized("invalid or expired code")
        record = await repo.latest_code(user.id, purpose)
        now = datetime.now(UTC)
        if record is None or record.expires_at < now:
            raise Unauthorized("invalid or expired code")
        if record.attempts >= self.settings.otp_max_attempts:
            raise TooManyRequests("too many attempts; request a new code", retry_after=60)
        record.attempts += 1
        if not hmac.compare_digest(record.code_hash, self._code_hash(code.strip())):
            raise Unauthorized("invalid or expired code")
        record.consumed_at = now
        return user

    async def verify(self, repo: Repository, email: str, code: str) -> TokenPair:
        user = await self._consume_code(repo, email, "verify", code)
        user.verified = True
        await _signed_in(repo, user, "verification code")
        return await self.issue_tokens(repo, user, family_id=uuid.uuid4())

    async def resend_code(self, repo: Repository, email: str) -> OutgoingMail | None:
        """A new verification code for an unverified account (nothing, silently, otherwise)."""
        user = await repo.user_by_email(email)
        if user is None or user.verified:
            return None
        return await self.new_code(repo, user, "verify")

    async def request_password_reset(self, repo: Repository, email: str) -> OutgoingMail | None:
        user = await repo.user_by_email(email)
        if user is None or not user.verified:
            return None
        mail = await self.new_code(repo, user, "reset")
        return OutgoingMail(
            mail.to,
            "Your Screener password reset code",
            mail.body.replace("verification code", "password reset code"),
        )

    async def reset_password(self, repo: Repository, email: str, code: str, new_password: str) -> None:
        """Set a new password with a mailed code; every session of the account is signed out."""
        check_password_strength(new_password, email=email)
        user = await self._consume_code(repo, email, "reset", code)
        user.password_hash = self.hasher.hash(new_password)
        await repo.revoke_all_tokens(user.id, datetime.now(UTC))

    async def login(self, repo: Repository, email: str, password: str) -> TokenPair:
        user = await repo.user_by_email(email)
        try:
            # Verify against a dummy hash for unknown emails so timing does not reveal accounts.
            self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except (VerificationError, InvalidHashError) as exc:
            raise Unauthorized("wrong email or password") from exc
        if user is None:
            raise Unauthorized("wrong email or password")
        if not user.verified:
            raise Forbidden("verify your email first", code="email_not_verified")
        await _signed_in(repo, user, "password")
        return await self.issue_tokens(repo, user, family_id=uuid.uuid4())

    async def issue_tokens(self, repo: Repository, user: User, *, family_id: uuid.UUID) -> TokenPair:
        now = datetime.now(UTC)
        access = jwt.encode(
            {
                "sub": str(user.id),
                "iss": self.settings.jwt_issuer,
                "aud": self.settings.jwt_audience,
                "iat": now,
                "nbf": now,
                "exp": now + timedelta(seconds=self.settings.access_token_ttl_seconds),
                "jti": uuid.uuid4().hex,
                "typ": "access",
                # The session (refresh-token family): signing out or resetting the password ends it,
                # and the access tokens it issued stop working at once.
                "fam": str(family_id),
            },
            self.settings.jwt_secret,
            algorithm=JWT_ALGORITHM,
        )
        refresh = secrets.token_urlsafe(48)
        repo.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=self._token_hash(refresh),
                expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_seconds),
            )
        )
        return TokenPair(access, refresh, self.settings.access_token_ttl_seconds)

    async def refresh(self, repo: Repository, refresh_token: str) -> TokenPair:
        """Rotate: the presented token is spent; presenting a spent token revokes its whole family."""
        record = await repo.refresh_token_by_hash(self._token_hash(refresh_token))
        now = datetime.now(UTC)
        if record is None:
            raise Unauthorized("invalid refresh token")
        if record.revoked_at is not None or record.used_at is not None:
            await repo.revoke_family(record.family_id, now)
            raise Unauthorized("refresh token reuse detected; sign in again", code="token_reused")
        if record.expires_at < now:
            raise Unauthorized("refresh token expired")
        record.used_at = now
        user = await repo.user_by_id(record.user_id)
        if user is None:
            raise Unauthorized("invalid refresh token")
        return await self.issue_tokens(repo, user, family_id=record.family_id)

    async def logout(self, repo: Repository, refresh_token: str) -> None:
        record = await repo.refresh_token_by_hash(self._token_hash(refresh_token))
        if record is not None:
            await repo.revoke_family(record.family_id, datetime.now(UTC))

    async def session_user(self, repo: Repository, token: str) -> uuid.UUID:
        """The user id of a valid access token whose account exists and whose session is not over."""
        user_id, family_id = self.authenticate(token)
        if await repo.user_by_id(user_id) is None:
            raise Unauthorized("the account of this token does not exist")
        if family_id is None or await repo.family_revoked(family_id):
            raise Unauthorized("this session was signed out; sign in again")
        return user_id

    def authenticate(self, token: str) -> tuple[uuid.UUID, uuid.UUID | None]:
        """The user id and session of a validly signed, unexpired access token; anything else is 401."""
        try:
            claims = jwt.decode(
                token,
                self.settings.jwt_secret,
                algorithms=[JWT_ALGORITHM],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid or expired access token") from exc
        if claims.get("typ") != "access":
            raise Unauthorized("not an access token")
        try:
            return uuid.UUID(claims["sub"]), uuid.UUID(claims["fam"]) if "fam" in claims else None
        except (ValueError, TypeError) as exc:
            raise Unauthorized("invalid access token") from exc


async def _signed_in(repo: Repository, user: User, how: str) -> None:
    """A sign-in, on the account's audit trail, from the address the request came from."""
    audit.acting(replace(audit.ACTOR.get(), user_id=user.id))
    await repo.audit(user.id, "auth.signed_in", "user", user.id, {"with": how})
