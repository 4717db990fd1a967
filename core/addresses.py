"""US postal addresses as customers type them: found in a sentence, split, checked, read back.

``usaddress`` labels the words of an address (house number, street, unit, city, state,
ZIP); this module finds where the address starts and ends in a chat line, keeps only
labels that make sense, and normalises what it keeps ("45 maple ave apt 3" becomes
"45 Maple Ave Apt 3"). States are checked against the USPS codes, and a ZIP code
against the state its first three digits belong to. Pure functions: the bot's address
form and an agent's corrections use the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import usaddress

# Nobody types a 200-character address: longer text is not one.
MAX_ADDRESS_LENGTH = 200

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}

# The state of each range of ZIP codes' first three digits (USPS sectional centers).
_ZIP_PREFIXES = (
    (6, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"),
    (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"),
    (201, 201, "VA"), (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"),
    (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"),
    (320, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"),
    (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"),
    (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"),
    (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"),
    (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"), (700, 715, "LA"),
    (716, 729, "AR"), (730, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"),
    (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"),
    (870, 884, "NM"), (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"),
    (967, 968, "HI"), (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)  # fmt: skip

ZIP = re.compile(r"(?<![\d-])(\d{5})(?:-(\d{4}))?(?![\d-])")
_STREET_START = re.compile(r"(?<![\w$.,@-])\d+[A-Za-z]?\s+(?:[NSEW]\.?\s+)?[A-Za-z]")
# Where chatter after an address without a ZIP begins ("12 Oak St and also pay my bill").
_TAIL = re.compile(
    r"\s*(?:,|\.|!|\?|;)?\s+(?:and|also|then|plus|but|pls|please|thanks|thank|thx|&)\b.*$",
    re.IGNORECASE,
)
_DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west"}
_UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "#", "fl", "floor", "rm", "room"}
# Words usaddress sometimes files under a label they are not ("Apt 5 in Riverton, zip ...").
_NOISE = {"in", "at", "zip", "zipcode", "code", "the", "is", "to", "and", "city", "of", "it", "its"}
_STREET_LABELS = (
    "AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix",
    "StreetNamePreModifier", "StreetNamePreDirectional", "StreetNamePreType", "StreetName",
    "StreetNamePostType", "StreetNamePostDirectional", "StreetNamePostModifier",
    "OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier",
    "USPSBoxType", "USPSBoxID",
)  # fmt: skip
_STREET_CHARS = re.compile(r"^[A-Za-z0-9 .'#/-]+$")
_UNIT_WITHOUT_NUMBER = re.compile(r"\b(?:apt|apartment|unit|suite|ste|#)\.?$", re.IGNORECASE)
_CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,48}$")


@dataclass(frozen=True)
class AddressParts:
    """Whatever parts of an address one message contained, normalised."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None

    def any(self) -> bool:
        """Whether the message gave any part at all."""
        return any((self.street, self.city, self.state, self.postal_code))


def state_code(text: str | None) -> str | None:
    """The USPS code of a state typed as a code or a name ("il", "Illinois"), else None."""
    words = (text or "").strip().strip(".,").lower()
    if words.upper() in STATES:
        return words.upper()
    return _STATE_BY_NAME.get(words)


def state_for_zip(postal_code: str) -> str | None:
    """The state a ZIP code belongs to, by its first three digits."""
    match = ZIP.fullmatch(postal_code.strip())
    if not match:
        return None
    prefix = int(match.group(1)[:3])
    return next((state for low, high, state in _ZIP_PREFIXES if low <= prefix <= high), None)


def normalise_postal_code(text: str) -> str | None:
    """The one US ZIP or ZIP+4 in the text, or None."""
    if len(text) > MAX_ADDRESS_LENGTH:
        return None
    found = ZIP.findall(text)
    if len(found) != 1:
        return None
    five, four = found[0]
    return f"{five}-{four}" if four else five


def _word(word: str, label: str) -> str:
    """One word of a street as it is kept: directions upper-case, lower-case words capitalised."""
    bare = word.strip(".,")
    if label.endswith("Directional") and bare.lower() in _DIRECTIONS:
        return bare.upper() if len(bare) <= 2 else bare.capitalize()
    if bare.islower() and bare.isalpha():
        return bare.capitalize()
    if bare.isupper() and bare.isalpha() and len(bare) > 2 and label == "StreetName":
        return bare.capitalize()
    return bare


def normal_street(text: str) -> str | None:
    """A street line as kept ("400 main st apt 5" -> "400 Main St Apt 5"), or None.

    It needs a house number then a name, address characters only, and a unit word
    ("apt", "unit", "#") only with the unit's number after it.
    """
    text = " ".join(text.strip().rstrip(",").split())
    if (
        len(text) > 100
        or not _STREET_START.match(text)
        or not _STREET_CHARS.match(text)
        or _UNIT_WITHOUT_NUMBER.search(text)
    ):
        return None
    words = text.split()
    kept = [words[0]]
    for word in words[1:]:
        bare = word.strip(".,").lower()
        if bare in _DIRECTIONS and len(bare) <= 2:
            kept.append(bare.upper())
        else:
            kept.append(_word(word, "StreetName"))
    return " ".join(kept)


def normal_city(text: str) -> str | None:
    """A city as kept ("springfield" -> "Springfield"), or None when it is not a city name."""
    city = " ".join(text.strip().strip("\"'").rstrip(",.").split())
    if not _CITY.fullmatch(city):
        return None
    return city.title() if city.islower() or city.isupper() else city


def _address_span(text: str) -> str | None:
    """The part of a chat line that is the address, from the house number to the ZIP."""
    start = _STREET_START.search(text)
    zips = list(ZIP.finditer(text))
    if start is None and not zips:
        return None
    begin = start.start() if start else 0
    after = [match for match in zips if match.start() > begin]
    if after:
        return text[begin : after[0].end()]
    return _TAIL.sub("", text[begin:])


def parse_place(text: str) -> AddressParts:
    """A reply to "which city?": "springfield", "Springfield, IL" or "springfield il 62704"."""
    text = " ".join(text.strip().strip("\"'").split())
    if not text or len(text) > MAX_ADDRESS_LENGTH:
        return AddressParts()
    postal_code = None
    zips = list(ZIP.finditer(text))
    if len(zips) == 1:
        postal_code = normalise_postal_code(zips[0].group(0))
        text = (text[: zips[0].start()] + text[zips[0].end() :]).strip(" ,.")
    words = text.replace(",", " ").split()
    state = None
    for size in (2, 1):  # "New York", then "NY"
        if len(words) > size and state_code(" ".join(words[-size:])):
            state = state_code(" ".join(words[-size:]))
            words = words[:-size]
            break
    return AddressParts(city=normal_city(" ".join(words)), state=state, postal_code=postal_code)


def _labelled(span: str) -> tuple[dict[str, list[str]], list[str]]:
    """The words of an address by usaddress's label, and the street's words in order."""
    labelled: dict[str, list[str]] = {}
    street_words = []
    for token, label in usaddress.parse(span):
        bare = token.strip(",;")
        if not bare or bare.lower().strip(".") in _NOISE:
            continue
        labelled.setdefault(label, []).append(bare)
        if label in _STREET_LABELS:
            street_words.append(_word(bare, label))
    return labelled, street_words


def parse_address(text: str) -> AddressParts:
    """The address in a chat line ("hi, I moved to 12 oak st springfield 62704 and ...")."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_ADDRESS_LENGTH:
        return AddressParts()
    span = _address_span(text)
    if not span:
        return AddressParts()
    labelled, street_words = _labelled(span)
    numbers = labelled.get("AddressNumber", [])
    if len(numbers) > 1:
        # "its 615 not 651. 615 Gold Ave SW": the address is the last one begun
        starts = [m for m in _STREET_START.finditer(span) if m.group(0).startswith(numbers[-1])]
        if starts:
            span = span[starts[-1].start() :]
            labelled, street_words = _labelled(span)
    street = None
    if labelled.get("AddressNumber") and _STREET_START.match(span):
        street = normal_street(" ".join(street_words))
    state = state_code(" ".join(labelled.get("StateName", [])))
    # without a street, words before a ZIP code are a city only beside a state ("Salem, OR")
    city = normal_city(" ".join(labelled.get("PlaceName", []))) if street or state else None
    postal_code = normalise_postal_code(" ".join(labelled.get("ZipCode", [])))
    return AddressParts(street=street, city=city, state=state, postal_code=postal_code)


def format_address(street: str, city: str, state: str | None, postal_code: str) -> str:
    """An address on one line, as customers read it: "12 Oak St, Springfield, IL 62704"."""
    place = f"{state} {postal_code}" if state else postal_code
    return f"{street}, {city}, {place}"
