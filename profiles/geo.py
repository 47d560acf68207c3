"""Distances in SQL: a haversine expression and a latitude/longitude bounding box.

Both work on PostgreSQL and SQLite (Django provides the math functions on SQLite).
The box is what lets the composite index profile_public_geo_idx narrow a "near me" query to
the rows that can be within reach, before the exact distance is computed on those only.
"""

import math

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from profiles.gazetteer import EARTH_RADIUS_KM

KM_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_KM / 360


def _float(number: float) -> Value:
    return Value(float(number), output_field=FloatField())


def distance_km(latitude: float, longitude: float, lat_field: str, lon_field: str):
    """Great-circle distance in km from a fixed point to the coordinates in two columns.

    The same formula as gazetteer.distance_km, so SQL and Python agree to the metre.
    """
    phi0 = math.radians(latitude)
    phi = Radians(F(lat_field))
    half_dphi = (phi - _float(phi0)) / _float(2)
    half_dlambda = (Radians(F(lon_field)) - _float(math.radians(longitude))) / _float(2)
    a = Power(Sin(half_dphi), _float(2)) + _float(math.cos(phi0)) * Cos(phi) * Power(
        Sin(half_dlambda), _float(2)
    )
    # Rounding can push a a hair above 1 for antipodes; ASIN would then fail on PostgreSQL.
    distance = _float(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(a, _float(1))))
    # PostgreSQL's LEAST skips NULLs: without this, a member with no place would be 20,015 km away.
    return Case(When(Q(**{f"{lat_field}__isnull": False}), then=distance), default=None)


def bounding_box(latitude: float, longitude: float, km: float, lat_field: str, lon_field: str):
    """A Q for the latitude/longitude rectangle that contains the circle of km around the
    point: cheap for an index, and never drops a row that the exact distance would keep."""
    # A centimetre of slack so that float rounding never drops a member right on the edge.
    dlat = km / KM_PER_DEGREE + 1e-7
    south, north = latitude - dlat, latitude + dlat
    box = Q(**{f"{lat_field}__gte": south, f"{lat_field}__lte": north})
    if south <= -90 or north >= 90:
        return box  # the circle covers a pole: every longitude is in reach
    # The circle's meridians of tangency: the exact widest longitude span of a spherical cap.
    ratio = math.sin(math.radians(dlat)) / math.cos(math.radians(latitude))
    if ratio >= 1:
        return box
    dlon = math.degrees(math.asin(ratio)) + 1e-7
    west, east = longitude - dlon, longitude + dlon
    if west < -180:
        lon = Q(**{f"{lon_field}__gte": west + 360}) | Q(**{f"{lon_field}__lte": east})
    elif east > 180:
        lon = Q(**{f"{lon_field}__gte": west}) | Q(**{f"{lon_field}__lte": east - 360})
    else:
        lon = Q(**{f"{lon_field}__gte": west, f"{lon_field}__lte": east})
    return box & lon
