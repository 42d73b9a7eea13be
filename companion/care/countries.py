"""Turning what a person typed as their country into the ISO code the crisis lines use.

Onboarding invites "BR" or "Brazil"; someone in crisis must not miss their lines because
they wrote a name. Names cover the countries with lines or emergency numbers on file, in
English and in their own language.
"""

from __future__ import annotations

import unicodedata

_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("united states", "united states of america", "usa", "america", "estados unidos"),
    "CA": ("canada",),
    "GB": ("united kingdom", "uk", "great britain", "britain", "england", "scotland", "wales",
           "northern ireland"),
    "IE": ("ireland", "eire", "éire"),
    "AU": ("australia",),
    "NZ": ("new zealand", "aotearoa"),
    "IN": ("india", "bharat", "भारत"),
    "BR": ("brazil", "brasil"),
    "ES": ("spain", "espana", "españa"),
    "FR": ("france",),
    "DE": ("germany", "deutschland"),
    "NL": ("netherlands", "the netherlands", "holland", "nederland"),
    "PT": ("portugal",),
    "IT": ("italy", "italia"),
    "MX": ("mexico", "méxico"),
    "AR": ("argentina",),
    "KR": ("south korea", "korea", "republic of korea", "한국", "대한민국"),
    "JP": ("japan", "日本"),
    "CN": ("china", "中国", "中國"),
    "RU": ("russia", "russian federation", "россия"),
    "SG": ("singapore",),
    "ZA": ("south africa",),
    "NG": ("nigeria",),
    "TR": ("turkey", "turkiye", "türkiye"),
    "ID": ("indonesia",),
    "PH": ("philippines", "pilipinas"),
    "KE": ("kenya",),
    "TZ": ("tanzania",),
    "VN": ("vietnam", "viet nam", "việt nam"),
    "PL": ("poland", "polska"),
    "UA": ("ukraine", "україна"),
    "BD": ("bangladesh", "বাংলাদেশ"),
    "PK": ("pakistan", "پاکستان"),
    "SA": ("saudi arabia", "السعودية"),
    "EG": ("egypt", "مصر"),
    "AE": ("united arab emirates", "uae", "الإمارات"),
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_BY_NAME = {_fold(name): code for code, names in _NAMES.items() for name in names}


def country_code(text: str) -> str:
    """"br", "Brazil", "Brasil" → "BR"; an unknown name comes back upper-cased as typed."""
    cleaned = text.strip()
    return _BY_NAME.get(_fold(cleaned), cleaned.upper())  # "UK" is a name, not ISO
