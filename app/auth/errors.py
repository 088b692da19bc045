"""Identity and access errors (stable problem types)."""

from __future__ import annotations

from app.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)


class NotAuthenticated(Unauthorized):
    type = "not-authenticated"
    title = {"ja": "ログインが必要です", "en": "Authentication is required"}
    detail = {
        "ja": "Authorization: Bearer <アクセストークン> を指定してください。",
        "en": "Send Authorization: Bearer <access token>.",
    }


class InvalidAccessToken(Unauthorized):
    type = "invalid-access-token"
    title = {"ja": "アクセストークンが無効です", "en": "The access token is not valid"}
    detail = {
        "ja": "トークンの有効期限切れ、ログアウト済み、または改ざんされています。再ログインまたはトークンを更新してください。",
        "en": "The token expired, was signed out, or was altered. Refresh it or log in again.",
    }


class InvalidApiKey(Unauthorized):
    type = "invalid-api-key"
    title = {"ja": "APIキーが無効です", "en": "The API key is not valid"}
    detail = {
        "ja": "APIキーが存在しないか、失効・期限切れです。",
        "en": "The key does not exist, was revoked, or expired.",
    }

    def __init__(self) -> None:
        super().__init__()
        self.headers["WWW-Authenticate"] = "ApiKey"


class AccountNotActive(Forbidden):
    type = "account-not-active"
    title = {"ja": "このアカウントは利用できません", "en": "This account cannot be used"}


class RoleNotAllowed(Forbidden):
    type = "role-not-allowed"
    title = {"ja": "この操作の権限がありません", "en": "Your role does not allow this operation"}


class ScopeNotGranted(Forbidden):
    type = "scope-not-granted"
    title = {
        "ja": "APIキーにこの操作の権限がありません",
        "en": "The API key lacks a required scope",
    }
    detail = {"ja": "必要なスコープ: {scopes}", "en": "Required scopes: {scopes}"}


class ApiKeyRateLimited(TooManyRequests):
    type = "api-key-rate-limited"
    title = {
        "ja": "APIキーのリクエスト数が上限を超えました",
        "en": "The API key's rate limit was exceeded",
    }
    detail = {
        "ja": "{retry_after}秒後に再度お試しください。",
        "en": "Try again in {retry_after} seconds.",
    }


# --- Accounts, organizations, keys, terms and the customer registry (admin work) ---------------


class UserNotFound(NotFound):
    type = "user-not-found"
    title = {"ja": "ユーザーが見つかりません", "en": "User not found"}


class OrganizationNotFound(NotFound):
    type = "organization-not-found"
    title = {"ja": "組織が見つかりません", "en": "Organization not found"}


class ApiKeyNotFound(NotFound):
    type = "api-key-not-found"
    title = {"ja": "APIキーが見つかりません", "en": "API key not found"}


class TermsNotFound(NotFound):
    type = "terms-not-found"
    title = {"ja": "規約が見つかりません", "en": "Terms document not found"}


class CannotActOnSelf(Forbidden):
    type = "cannot-act-on-self"
    title = {
        "ja": "自分自身のアカウントにはこの操作を行えません",
        "en": "You cannot do this to your own account",
    }


class TargetRequiresAdmin(Forbidden):
    type = "target-requires-admin"
    title = {
        "ja": "管理者アカウントへの操作には管理者権限が必要です",
        "en": "Only an admin may do this to an admin account",
    }


class OrganizationRequired(Forbidden):
    type = "organization-required"
    title = {"ja": "組織に属していません", "en": "An organization is required"}
    detail = {
        "ja": "この操作は組織に紐づくAPIキーまたは組織の管理者だけが行えます。",
        "en": "Only an API key bound to an organization, or an organization's admin, may do this.",
    }


class AccountStatusConflict(Conflict):
    type = "account-status-conflict"
    title = {
        "ja": "現在のアカウント状態ではこの操作を行えません",
        "en": "Not possible in the account's current status",
    }
    detail = {"ja": "現在の状態: {status}", "en": "Current status: {status}"}


class LastAdmin(Conflict):
    type = "last-admin"
    title = {"ja": "最後の管理者は降格できません", "en": "The last admin cannot be demoted"}
    detail = {
        "ja": "先に別のアカウントを管理者にしてください。",
        "en": "Make another account an admin first.",
    }


class OrgAdminNeedsOrganization(ValidationFailed):
    type = "org-admin-needs-organization"
    title = {
        "ja": "組織管理者には所属組織が必要です",
        "en": "An org_admin must belong to an organization",
    }


class TermsVersionExists(Conflict):
    type = "terms-version-exists"
    title = {"ja": "この版は既に公開されています", "en": "This version is already published"}
    detail = {"ja": "{kind} の版 {version} は既にあります。", "en": "{kind} {version} exists."}


class TermsEffectiveDateInPast(ValidationFailed):
    type = "terms-effective-date-past"
    title = {
        "ja": "施行日に過去の日付は指定できません",
        "en": "The effective date cannot be in the past",
    }
    detail = {"ja": "本日 ({today}) 以降を指定してください。", "en": "Use {today} or later."}


class ApiKeyExpiryInPast(ValidationFailed):
    type = "api-key-expiry-past"
    title = {
        "ja": "有効期限には未来の日時を指定してください",
        "en": "The expiry must be in the future",
    }


class CustomerImportUnreadable(ValidationFailed):
    type = "customer-import-unreadable"
    title = {"ja": "CSVファイルを読み取れません", "en": "The CSV file cannot be read"}
    detail = {
        "ja": "UTF-8(BOM付き可)または Shift_JIS (CP932) のCSVを指定してください。",
        "en": "Upload a CSV encoded in UTF-8 (with or without BOM) or Shift_JIS (CP932).",
    }


class CustomerImportInvalid(ValidationFailed):
    type = "customer-import-invalid"
    title = {
        "ja": "CSVに誤りがあるため取り込みませんでした",
        "en": "The CSV has errors; nothing was imported",
    }
    detail = {
        "ja": "errors に行番号(見出し行が1行目)ごとの理由があります。{error_count}件の誤り。",
        "en": "See errors, keyed by line number (the header is line 1). {error_count} error(s).",
    }


class CustomerImportTooLarge(ProblemError):
    type = "customer-import-too-large"
    status = 413
    title = {"ja": "ファイルが大きすぎます", "en": "The file is too large"}
    detail = {
        "ja": "{max_megabytes}MB 以下のファイルに分けてください。",
        "en": "Split it into files of at most {max_megabytes} MB.",
    }


# --- Member identity: registration, login, tokens, profile (R-ID-1…R-ID-10) ---------------------
# Refusals that must leave a security record behind set `keeps_writes` (see app/db.py).


class EmailAlreadyRegistered(Conflict):
    """One account per address, whatever its state: registration, student registration, email
    change and accounts created by an admin all answer this one type."""

    type = "email-already-registered"
    title = {
        "ja": "このメールアドレスは既に登録されています",
        "en": "This email address is already registered",
    }
    detail = {
        "ja": "ご本人のアカウントであれば、ログインするか、パスワードをお忘れの場合は再設定してください。",
        "en": "If the account is yours, log in, or reset your password if you have forgotten it.",
    }


class RejoinRequired(Conflict):
    """The address (or customer number) belongs to a withdrawn account that may come back: the
    client should offer the rejoin flow (POST /auth/rejoin) instead of a new registration."""

    type = "rejoin-required"
    title = {
        "ja": "退会済みのアカウントがあります",
        "en": "You have a closed account",
    }
    detail = {
        "ja": "再入会のお手続きをすると、以前のアカウントをこれまでの学習履歴とともに再びご利用いただけます。"
        "以前のアカウントのメールアドレスで再入会をお申し込みいただくと、そのアドレスにお手続きのご案内をお送りします。",
        "en": "Rejoin to use your previous account again, with your learning history: ask to "
        "rejoin with that account's email address and we will email it a link.",
    }


class CustomerAlreadyRegistered(Conflict):
    type = "customer-already-registered"
    title = {
        "ja": "このお客様番号は既に会員登録されています",
        "en": "This customer number is already registered",
    }
    detail = {
        "ja": "お客様番号またはメールアドレスでログインしてください。",
        "en": "Log in with your customer number or email address.",
    }


class StudentVerificationFailed(BadRequest):
    """One answer for every mismatch, so the endpoint tells nobody which part was wrong."""

    type = "student-verification-failed"
    keeps_writes = True  # the failed attempt counts toward the per-address throttle
    title = {
        "ja": "受講生情報を確認できませんでした",
        "en": "Your student details could not be verified",
    }
    detail = {
        "ja": "お客様番号と、事務局にお届けの最新の電話番号をご確認ください。",
        "en": "Check your customer number and the latest phone number you gave us.",
    }


class StudentRegistrationThrottled(TooManyRequests):
    type = "student-registration-rate-limited"
    title = {
        "ja": "確認に失敗した回数が多すぎます",
        "en": "Too many failed verification attempts",
    }
    detail = {
        "ja": "{retry_after}秒後に再度お試しください。",
        "en": "Try again in {retry_after} seconds.",
    }


class TermsVersionOutdated(Conflict):
    type = "terms-version-outdated"
    title = {
        "ja": "同意された規約が最新版ではありません",
        "en": "The accepted terms are not the current version",
    }
    detail = {
        "ja": "最新の利用規約 ({terms_version}) と個人情報の取扱い ({privacy_version}) をご確認のうえ同意してください。",
        "en": "Read and accept the current terms ({terms_version}) and privacy policy ({privacy_version}).",
    }


class TermsNotPublished(ServiceUnavailable):
    type = "terms-not-published"
    title = {
        "ja": "現在、利用規約を確認できないため登録を受け付けられません",
        "en": "Registration is unavailable: no current terms are published",
    }


class PasswordPolicyViolated(ValidationFailed):
    type = "password-policy-violated"
    title = {
        "ja": "このパスワードは使えません",
        "en": "This password cannot be used",
    }
    detail = {
        "ja": "8文字以上128文字以内で、ログインID(メールアドレス・お客様番号)と異なるものにしてください。",
        "en": "Use 8 to 128 characters, different from your login ID (email or customer number).",
    }


class InvalidCredentials(Unauthorized):
    """Wrong password and unknown login ID answer alike (no account enumeration)."""

    type = "invalid-credentials"
    keeps_writes = True  # the failure counts toward the lockout (R-ID-8)
    title = {
        "ja": "ログインIDまたはパスワードが正しくありません",
        "en": "The login ID or password is incorrect",
    }


class LoginTemporarilyLocked(TooManyRequests):
    type = "login-temporarily-locked"
    title = {
        "ja": "ログインに続けて失敗したため、一時的にログインできません",
        "en": "Login is temporarily locked after repeated failures",
    }
    detail = {
        "ja": "{retry_after}秒後に再度お試しください。パスワードをお忘れの場合は再設定してください。",
        "en": "Try again in {retry_after} seconds, or reset your password.",
    }


class LoginRateLimited(TooManyRequests):
    type = "login-rate-limited"
    title = {
        "ja": "この接続元からのログイン失敗が多すぎます",
        "en": "Too many failed logins from this address",
    }
    detail = {
        "ja": "{retry_after}秒後に再度お試しください。",
        "en": "Try again in {retry_after} seconds.",
    }


class AccountSuspended(Forbidden):
    type = "account-suspended"
    title = {"ja": "このアカウントは利用停止中です", "en": "This account is suspended"}
    detail = {
        "ja": "詳しくは事務局までお問い合わせください。",
        "en": "Please contact the support office.",
    }


class AccountWithdrawn(Forbidden):
    type = "account-withdrawn"
    title = {"ja": "このアカウントは退会済みです", "en": "This account was closed"}


class InvalidRefreshToken(Unauthorized):
    type = "invalid-refresh-token"
    title = {"ja": "リフレッシュトークンが無効です", "en": "The refresh token is not valid"}
    detail = {
        "ja": "有効期限切れ、ログアウト済み、または存在しないトークンです。再度ログインしてください。",
        "en": "The token expired, was signed out, or does not exist. Log in again.",
    }


class RefreshTokenReused(Unauthorized):
    """A used refresh token came back: its whole session is revoked (R-ID-7)."""

    type = "refresh-token-reused"
    keeps_writes = True  # the revocation of the session must survive this refusal
    title = {
        "ja": "使用済みのリフレッシュトークンです",
        "en": "The refresh token was already used",
    }
    detail = {
        "ja": "安全のため、このログインセッションを終了しました。再度ログインしてください。",
        "en": "For your safety this login session was ended. Log in again.",
    }


class ResetTokenInvalid(BadRequest):
    type = "reset-token-invalid"
    title = {
        "ja": "パスワード再設定のリンクが無効です",
        "en": "The password reset link is not valid",
    }
    detail = {
        "ja": "有効期限切れか使用済みです。もう一度パスワード再設定をお申し込みください。",
        "en": "It expired or was already used. Request a new one.",
    }


class VerificationTokenInvalid(BadRequest):
    type = "verification-token-invalid"
    title = {
        "ja": "メールアドレス確認のリンクが無効です",
        "en": "The email verification link is not valid",
    }
    detail = {
        "ja": "有効期限切れか使用済みです。ログイン後に確認メールを再送してください。",
        "en": "It expired or was already used. Log in and ask for a new one.",
    }


class RejoinTokenInvalid(BadRequest):
    type = "rejoin-token-invalid"
    title = {
        "ja": "再入会のリンクが無効です",
        "en": "The rejoin link is not valid",
    }
    detail = {
        "ja": "有効期限切れか使用済みです。もう一度再入会をお申し込みください。",
        "en": "It expired or was already used. Ask to rejoin again.",
    }


class EmailChangeTokenInvalid(BadRequest):
    type = "email-change-token-invalid"
    title = {
        "ja": "メールアドレス変更のリンクが無効です",
        "en": "The email change link is not valid",
    }
    detail = {
        "ja": "有効期限切れか使用済みです。もう一度変更をお申し込みください。",
        "en": "It expired or was already used. Request the change again.",
    }


class CurrentPasswordIncorrect(Forbidden):
    type = "current-password-incorrect"
    keeps_writes = True  # counts toward the account's lockout like a failed login (R-ID-8)
    title = {"ja": "現在のパスワードが正しくありません", "en": "The current password is incorrect"}


class EmailUnchanged(ValidationFailed):
    type = "email-unchanged"
    title = {
        "ja": "現在と同じメールアドレスです",
        "en": "This is already your email address",
    }


class NameManagedByRegistry(Forbidden):
    type = "name-managed-by-registry"
    title = {
        "ja": "お名前はこの画面では変更できません",
        "en": "Your name cannot be changed here",
    }
    detail = {
        "ja": "受講生のお名前は事務局の登録情報を使用しています。変更は「住所氏名等変更届」でお届けください。",
        "en": "Students' names come from our records; notify the support office of a change.",
    }


class WithdrawalNotAllowed(Forbidden):
    type = "withdrawal-not-allowed"
    title = {
        "ja": "このアカウントはご自身で退会できません",
        "en": "This account cannot be closed by its holder",
    }
    detail = {
        "ja": "組織で管理されているアカウントや運営スタッフのアカウントは、管理者が手続きします。",
        "en": "Accounts managed by an organization, and staff accounts, are closed by an administrator.",
    }


class SessionNotFound(NotFound):
    type = "session-not-found"
    title = {"ja": "ログインセッションが見つかりません", "en": "Login session not found"}


# What the `Authenticator` can refuse with, for `responses=problem_responses(*..., ...)`.
PERSON_AUTH_ERRORS: tuple[type[ProblemError], ...] = (
    NotAuthenticated,
    InvalidAccessToken,
    AccountNotActive,
    RoleNotAllowed,
)
PARTNER_AUTH_ERRORS: tuple[type[ProblemError], ...] = (
    InvalidApiKey,
    ScopeNotGranted,
    ApiKeyRateLimited,
)
