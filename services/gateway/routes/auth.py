"""Accounts: sign-up with a mailed code, sign-in, refresh, sign-out and password reset."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, BackgroundTasks, Request

from screener.contract import schemas
from services.common.errors import TooManyRequests
from services.gateway import audit
from services.gateway.deps import ApiContext, Ctx, Repo, client_host
from services.gateway.repository import Repository

T = TypeVar("T")

router = APIRouter(tags=["auth"])


@router.post(
    "/api/auth/signup",
    status_code=202,
    response_model=schemas.SignupResponse,
    responses=schemas.error_responses(400, 422, 429),
)
async def signup(
    ctx: Ctx, body: schemas.SignupRequest, r: Repo, background: BackgroundTasks, request: Request
) -> schemas.SignupResponse:
    """Ask for an account. The answer is the same whether or not the address already has one: a new
    account gets its code by mail, an existing one is never changed and its owner is mailed instead."""
    await ctx.limiter.hit(
        f"signup:client:{client_host(request)}", ctx.limits.signup_per_client, 60, "sign-ups"
    )
    user = await ctx.auth.signup(r, body.email, body.password, body.name)
    mail = None
    if user is not None:
        mail = await ctx.auth.new_code(r, user, "verify")
    else:
        # The owner of an existing account is mailed at most once per cooldown, and silently.
        with contextlib.suppress(TooManyRequests):
            await ctx.limiter.hit(f"signup-again:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds)
            mail = await ctx.auth.owner_notice(r, body.email)
    if mail is not None:
        # Sent after the response, which is after the commit: the code is valid when it arrives.
        background.add_task(ctx.auth.mailer.deliver, mail)
    return schemas.SignupResponse(
        email=body.email,
        message="if the address can be used, a verification code was sent to it; verify it to sign in",
    )


async def guess_limits(ctx: ApiContext, request: Request, email: str, what: str) -> None:
    """Code guesses, verification and reset together: per client, and per account (the email is
    canonical, so no spelling of it is a new key). Each code also dies after OTP_MAX_ATTEMPTS tries."""
    await ctx.limiter.hit(f"code:client:{client_host(request)}", ctx.limits.verify_per_client, 600, what)
    await ctx.limiter.hit(f"verify:account:{email}", ctx.limits.verify_per_account, 600, what)


async def committing_even_on_error(ctx: ApiContext, action: Callable[[Repository], Awaitable[T]]) -> T:
    # A wrong code must still count as an attempt and a reused refresh token must stay revoked,
    # so these calls commit what they wrote whether or not they succeed.
    async with ctx.sessions() as db:
        try:
            return await action(Repository(db))
        finally:
            await db.commit()


@router.post(
    "/api/auth/verify",
    response_model=schemas.TokenResponse,
    responses=schemas.error_responses(400, 401, 422, 429),
)
async def verify(ctx: Ctx, body: schemas.VerifyRequest, request: Request) -> schemas.TokenResponse:
    await guess_limits(ctx, request, body.email, "verification attempts")
    audit.acting(audit.Actor(None, None, client_host(request)))
    pair = await committing_even_on_error(ctx, lambda r: ctx.auth.verify(r, body.email, body.code))
    return schemas.TokenResponse(**pair.__dict__)


@router.post(
    "/api/auth/resend",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.error_responses(400, 422, 429),
)
async def resend_code(
    ctx: Ctx, body: schemas.EmailRequest, r: Repo, background: BackgroundTasks
) -> schemas.Accepted:
    """A new verification code, one per cooldown; the answer never tells whether the account exists."""
    await ctx.limiter.hit(
        f"resend:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds, "code requests"
    )
    mail = await ctx.auth.resend_code(r, body.email)
    if mail is not None:
        background.add_task(ctx.auth.mailer.deliver, mail)
    return schemas.Accepted(message="if the account waits for verification, a new code was sent")


@router.post(
    "/api/auth/password/forgot",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.error_responses(400, 422, 429),
)
async def forgot_password(
    ctx: Ctx, body: schemas.EmailRequest, r: Repo, background: BackgroundTasks
) -> schemas.Accepted:
    await ctx.limiter.hit(
        f"forgot:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds, "reset requests"
    )
    mail = await ctx.auth.request_password_reset(r, body.email)
    if mail is not None:
        background.add_task(ctx.auth.mailer.deliver, mail)
    return schemas.Accepted(message="if the account exists, a reset code was sent")


@router.post(
    "/api/auth/password/reset",
    response_model=schemas.Accepted,
    responses=schemas.error_responses(400, 401, 422, 429),
)
async def reset_password(ctx: Ctx, body: schemas.PasswordResetRequest, request: Request) -> schemas.Accepted:
    await guess_limits(ctx, request, body.email, "reset attempts")

    async def reset(r: Repository) -> None:
        await ctx.auth.reset_password(r, body.email, body.code, body.new_password)

    await committing_even_on_error(ctx, reset)
    return schemas.Accepted(message="password changed; every session was signed out")


@router.post(
    "/api/auth/login",
    response_model=schemas.TokenResponse,
    responses=schemas.error_responses(400, 401, 403, 422, 429),
)
async def login(ctx: Ctx, body: schemas.LoginRequest, r: Repo, request: Request) -> schemas.TokenResponse:
    await ctx.limiter.hit(
        f"login:client:{client_host(request)}", ctx.limits.login_per_client, 60, "sign-in attempts"
    )
    await ctx.limiter.hit(f"login:account:{body.email}", ctx.limits.login_per_account, 60, "sign-in attempts")
    audit.acting(audit.Actor(None, None, client_host(request)))
    pair = await ctx.auth.login(r, body.email, body.password)
    return schemas.TokenResponse(**pair.__dict__)


@router.post(
    "/api/auth/refresh",
    response_model=schemas.TokenResponse,
    responses=schemas.error_responses(400, 401, 422),
)
async def refresh(ctx: Ctx, body: schemas.RefreshRequest) -> schemas.TokenResponse:
    pair = await committing_even_on_error(ctx, lambda r: ctx.auth.refresh(r, body.refresh_token))
    return schemas.TokenResponse(**pair.__dict__)


@router.post("/api/auth/logout", status_code=204, responses=schemas.error_responses(400, 401, 422))
async def logout(ctx: Ctx, body: schemas.RefreshRequest, r: Repo) -> None:
    await ctx.auth.logout(r, body.refresh_token)
