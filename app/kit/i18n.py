"""Language negotiation: Japanese by default, English through `Accept-Language`."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"


def negotiate_language(accept_language: str | None) -> str:
    """Pick `ja` or `en` from an Accept-Language header (q-values honoured, default `ja`)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.split("-")[0]
        if tag == "*":
            language = DEFAULT_LANGUAGE
        if language not in SUPPORTED_LANGUAGES or quality <= 0:
            continue
        candidate = (quality, -position, language)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE


# Japanese texts for pydantic's validation error types (English comes from pydantic itself).
VALIDATION_MESSAGES_JA: dict[str, str] = {
    "missing": "必須項目です。",
    "string_type": "文字列で指定してください。",
    "string_too_short": "{min_length}文字以上で入力してください。",
    "string_too_long": "{max_length}文字以内で入力してください。",
    "string_pattern_mismatch": "形式が正しくありません。",
    "value_error": "値が正しくありません。",
    "int_type": "整数で指定してください。",
    "int_parsing": "整数で指定してください。",
    "bool_type": "true または false で指定してください。",
    "bool_parsing": "true または false で指定してください。",
    "literal_error": "指定できる値ではありません。",
    "enum": "指定できる値ではありません。",
    "uuid_type": "UUID で指定してください。",
    "uuid_parsing": "UUID の形式が正しくありません。",
    "json_invalid": "JSON の形式が正しくありません。",
    "model_attributes_type": "オブジェクトで指定してください。",
    "dict_type": "オブジェクトで指定してください。",
    "list_type": "配列で指定してください。",
    "too_short": "{min_length}件以上指定してください。",
    "too_long": "{max_length}件以内で指定してください。",
    "greater_than_equal": "{ge}以上で指定してください。",
    "less_than_equal": "{le}以下で指定してください。",
    "greater_than": "{gt}より大きい値で指定してください。",
    "less_than": "{lt}より小さい値で指定してください。",
    "date_type": "日付 (YYYY-MM-DD) で指定してください。",
    "date_parsing": "日付 (YYYY-MM-DD) で指定してください。",
    "date_from_datetime_parsing": "日付 (YYYY-MM-DD) で指定してください。",
    "datetime_type": "日時 (RFC 3339) で指定してください。",
    "datetime_parsing": "日時 (RFC 3339) で指定してください。",
    "datetime_from_date_parsing": "日時 (RFC 3339) で指定してください。",
    "timezone_aware": "タイムゾーン付きの日時で指定してください。",
    "extra_forbidden": "この項目は指定できません。",
    "email": "メールアドレスの形式が正しくありません。",
}


def validation_message(
    error_type: str, english: str, context: dict[str, object] | None, language: str
) -> str:
    if language != "ja":
        return english
    template = VALIDATION_MESSAGES_JA.get(error_type)
    if template is None:
        return "値が正しくありません。"
    try:
        return template.format(**(context or {}))
    except (KeyError, IndexError):
        return template
