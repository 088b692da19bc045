"""Japanese input normalization (R-ID-13).

Full-width digits and letters in customer numbers, phone numbers and emails become half-width
(NFKC); hyphens (all the dash look-alikes a Japanese keyboard produces) and spaces in phone
numbers are ignored. Names keep their kana and kanji exactly as typed.
"""

from __future__ import annotations

import re
import unicodedata

# Dashes and long-vowel marks people type between phone digits: - ‐ ‑ ‒ – — ― − ー ｰ
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"
_PHONE_STRIP = re.compile(f"[\\s{re.escape(_DASHES)}()]")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def normalize_email(value: str) -> str:
    """NFKC, trimmed, lower-cased (the domain is case-insensitive; we treat the local part so too)."""
    return nfkc(value).strip().lower()


def normalize_phone(value: str) -> str:
    """Digits only: '０９０－１２３４－５６７８' → '09012345678'. Other characters are kept so
    that validation can refuse them."""
    return _PHONE_STRIP.sub("", nfkc(value))


def normalize_customer_number(value: str) -> str:
    """NFKC, with spaces and hyphens removed: '０１２３４ ５６７８９０１' → '01234567890'."""
    return _PHONE_STRIP.sub("", nfkc(value))


def normalize_login_id(value: str) -> str:
    """A login ID is an email (contains '@') or a customer number (R-ID-3)."""
    value = nfkc(value).strip()
    if "@" in value:
        return normalize_email(value)
    return normalize_customer_number(value)


def normalize_name(value: str) -> str:
    """Names are kept as typed; only surrounding whitespace (incl. full-width spaces) is trimmed."""
    return value.strip().strip("\u3000").strip()
