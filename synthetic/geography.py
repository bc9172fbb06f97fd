"""The borough's geography: wards (a jittered grid tessellation), places, schools and postcodes.

Wards are quadrilaterals of a jittered grid centred on lon -0.08, lat 51.55: neighbouring wards
share their edges exactly, so the tessellation has no gaps or overlaps, and a point drawn by
bilinear interpolation inside a ward's four corners falls inside that ward.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CENTRE_LON = -0.08
CENTRE_LAT = 51.55
CELL_LON = 0.0145
CELL_LAT = 0.0095

WARD_NAMES = (
    "Clissold",
    "Brownswood",
    "Stamford Hill West",
    "Cazenove",
    "Springfield",
    "Lordship",
    "Shacklewell",
    "Dalston",
    "De Beauvoir",
    "Hackney Downs",
    "Hackney Wick",
    "Homerton",
    "Kings Park",
    "Victoria",
    "London Fields",
    "Haggerston",
    "Hoxton East",
    "Hoxton West",
    "Woodberry Down",
    "Stoke Newington",
)
WARD_OUTWARD = (
    "N16",
    "N4",
    "N16",
    "N16",
    "E5",
    "N16",
    "E8",
    "E8",
    "N1",
    "E8",
    "E9",
    "E9",
    "E5",
    "E9",
    "E8",
    "E2",
    "N1",
    "N1",
    "N4",
    "N16",
)
STREETS = (
    "Church Street",
    "Green Lanes",
    "Stamford Hill",
    "Cazenove Road",
    "Upper Clapton Road",
    "Lordship Road",
    "Shacklewell Lane",
    "Kingsland Road",
    "Englefield Road",
    "Rectory Road",
    "Wick Road",
    "Homerton High Street",
    "Millfields Road",
    "Victoria Park Road",
    "Mare Street",
    "Queensbridge Road",
    "Hoxton Street",
    "Pitfield Street",
    "Seven Sisters Road",
    "Stoke Newington High Street",
    "Albion Road",
    "Manor Road",
    "Clapton Common",
    "Evering Road",
    "Lea Bridge Road",
    "Northwold Road",
    "Dalston Lane",
    "Amhurst Road",
    "Downs Road",
    "Chatsworth Road",
    "Morning Lane",
    "Well Street",
    "Graham Road",
    "Richmond Road",
    "Whiston Road",
    "Kingsland High Street",
    "Essex Road",
    "Balls Pond Road",
    "Woodberry Grove",
    "Allerton Road",
)

#: name, aliases, location_type, index of the ward in WARD_NAMES
PLACES: tuple[tuple[str, str, str, int], ...] = (
    ("Clissold Park", "Clissold Pk;the park by Church St;Clissold", "park_open_space", 0),
    ("Springfield Park", "Springfield Pk;Springfield", "park_open_space", 4),
    ("Hackney Downs Park", "Hackney Downs;the Downs", "park_open_space", 9),
    ("London Fields", "London Fields park;LF", "park_open_space", 14),
    ("Abney Park Cemetery", "Abney Park;Abney cemetery", "park_open_space", 19),
    ("Millfields Park", "Millfields;Millfields Pk", "park_open_space", 12),
    ("Shoreditch Park", "Shoreditch Pk", "park_open_space", 17),
    ("Hackney Marshes", "the Marshes;Hackney Marsh", "park_open_space", 10),
    ("Well Street Common", "Well St Common", "park_open_space", 13),
    ("Haggerston Park", "Haggerston Pk", "park_open_space", 15),
    ("Woodberry Down Estate", "Woodberry Down;WD estate", "dwelling", 18),
    ("Nightingale Estate", "Nightingale;Nightingale Est", "dwelling", 9),
    ("Pembury Estate", "Pembury;the Pembury", "dwelling", 9),
    ("Kingsmead Estate", "Kingsmead;Kingsmead Est", "dwelling", 12),
    ("Holly Street Estate", "Holly St estate;Holly Street", "dwelling", 8),
    ("Frampton Park Estate", "Frampton Park;Frampton Pk Est", "dwelling", 13),
    ("Gascoyne Estate", "Gascoyne;Gascoyne 2", "dwelling", 13),
    ("Stamford Hill Estate", "Stamford Hill Est", "dwelling", 2),
    (
        "Sam's Chicken Church Street",
        "Sams Chicken;Sam's;chicken shop on Church St",
        "shop_takeaway",
        0,
    ),
    ("Rooster Spot Mare Street", "Rooster Spot;the chicken shop on Mare St", "shop_takeaway", 14),
    ("Tasty Wings Kingsland Road", "Tasty Wings;Tasty Wingz", "shop_takeaway", 7),
    ("Golden Fry Lower Clapton", "Golden Fry;the chippy on Lower Clapton Rd", "shop_takeaway", 11),
    ("Favourite Chicken Stamford Hill", "Favourite Chicken;Favourite", "shop_takeaway", 2),
    (
        "Dalston Kingsland Shopping Centre",
        "Kingsland Shopping Centre;Kingsland centre;the shopping centre",
        "shop_takeaway",
        7,
    ),
    (
        "Dalston Junction Station",
        "Dalston Jnct;Dalston station;Dalston Junction",
        "public_transport",
        7,
    ),
    ("Hackney Central Station", "Hackney Central;Hackney Central stn", "public_transport", 14),
    ("Hackney Downs Station", "Hackney Downs stn", "public_transport", 9),
    ("Stoke Newington Station", "Stokey station;Stoke Newington stn", "public_transport", 19),
    ("Homerton Station", "Homerton stn", "public_transport", 11),
    ("Clapton Station", "Clapton stn", "public_transport", 4),
    ("Hackney Wick Station", "Hackney Wick stn;the Wick station", "public_transport", 10),
    ("Manor House Station", "Manor House;Manor House tube", "public_transport", 1),
    ("Clapton Pond Bus Stop", "Clapton Pond;the bus stop at Clapton Pond", "public_transport", 12),
    ("Stoke Newington Youth Hub", "Stokey Youth Hub;the youth hub", "youth_club_leisure", 19),
    ("Concorde Youth Centre", "Concorde;Concorde centre", "youth_club_leisure", 9),
    ("Forest Road Youth Club", "Forest Rd youth club", "youth_club_leisure", 15),
    ("Clissold Leisure Centre", "Clissold Leisure;Clissold baths", "youth_club_leisure", 0),
    ("Kings Hall Leisure Centre", "Kings Hall", "youth_club_leisure", 11),
    (
        "Amhurst Road Hostel",
        "Amhurst Rd hostel;the hostel on Amhurst Rd",
        "hostel_supported_housing",
        6,
    ),
    ("Ridley Road Market", "Ridley Rd market;Ridley Road", "street", 7),
    ("Regent's Canal Towpath", "the canal;canal towpath;Regents Canal", "park_open_space", 16),
    ("Clapton Square", "Clapton Sq", "park_open_space", 11),
)

SECONDARY_NAMES = (
    "Northwold Academy",
    "Lea Bridge Community School",
    "Kingsland High School",
    "Amhurst Park Academy",
    "St Aidan's Catholic School",
    "Mare Street Academy",
    "Downs Park School",
    "Haggerston Fields School",
    "Springfield Girls' Academy",
    "Hoxton Park School",
    "Clissold Community College",
    "Homerton Academy",
)
PRIMARY_NAMES = (
    "Church Street Primary",
    "Grazebrook Lane Primary",
    "Benthal Road Primary",
    "Shacklewell Green Primary",
    "Sebright Road Primary",
    "Gayhurst Road Primary",
    "Millfields Community Primary",
    "Jubilee Primary",
    "Orchard Primary",
    "Woodberry Primary",
    "Holmleigh Primary",
    "Tyssen Primary",
    "Baden Powell Primary",
    "Queensbridge Primary",
    "Randal Cremer Primary",
    "Princess May Primary",
)
GIRLS_SCHOOL = "Springfield Girls' Academy"


@dataclass
class Geography:
    """Wards, places, schools and postcodes of one synthetic borough."""

    ward_codes: np.ndarray
    ward_names: np.ndarray
    ward_outward: np.ndarray
    corners: np.ndarray  # (n_wards, 4, 2) lon/lat corners, counter-clockwise
    ward_grid: np.ndarray  # (n_wards, 2) row, col
    places: pd.DataFrame
    schools: pd.DataFrame
    streets: np.ndarray  # (n_wards, 3) street names

    @property
    def n_wards(self) -> int:
        """Number of wards."""
        return len(self.ward_codes)

    def random_points(self, wards: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Uniform-ish random (lat, lon) inside each given ward (bilinear in its quadrilateral)."""
        u = rng.uniform(0.08, 0.92, len(wards))
        v = rng.uniform(0.08, 0.92, len(wards))
        c = self.corners[wards]  # (n, 4, 2): bl, br, tr, tl
        pt = (
            (1 - u)[:, None] * (1 - v)[:, None] * c[:, 0]
            + u[:, None] * (1 - v)[:, None] * c[:, 1]
            + u[:, None] * v[:, None] * c[:, 2]
            + (1 - u)[:, None] * v[:, None] * c[:, 3]
        )
        return pt[:, 1], pt[:, 0]

    def neighbours(self, ward: int) -> np.ndarray:
        """Wards sharing an edge with ``ward`` (grid neighbours)."""
        r, c = self.ward_grid[ward]
        d = np.abs(self.ward_grid - self.ward_grid[ward]).sum(axis=1)
        out = np.flatnonzero(d == 1)
        return out if len(out) else np.array([ward])


def build_geography(people: int, rng: np.random.Generator) -> Geography:
    """Build wards, places and schools; larger boroughs get more of each."""
    n_wards = 20 if people <= 6000 else int(min(700, people // 450))
    cols = int(math.ceil(math.sqrt(n_wards * 1.25)))
    rows = int(math.ceil(n_wards / cols))
    lon0 = CENTRE_LON - cols * CELL_LON / 2
    lat0 = CENTRE_LAT - rows * CELL_LAT / 2
    vx = lon0 + np.arange(cols + 1)[None, :] * CELL_LON + np.zeros((rows + 1, 1))
    vy = lat0 + np.arange(rows + 1)[:, None] * CELL_LAT + np.zeros((1, cols + 1))
    jx = rng.uniform(-0.22, 0.22, vx.shape) * CELL_LON
    jy = rng.uniform(-0.22, 0.22, vy.shape) * CELL_LAT
    jx[:, [0, -1]] = 0.0
    jy[[0, -1], :] = 0.0
    vx, vy = np.round(vx + jx, 6), np.round(vy + jy, 6)
    corners = np.zeros((n_wards, 4, 2))
    grid = np.zeros((n_wards, 2), dtype=int)
    for w in range(n_wards):
        r, c = divmod(w, cols)
        r = rows - 1 - r  # ward 0 in the north-west
        grid[w] = (r, c)
        for k, (dr, dc) in enumerate(((0, 0), (0, 1), (1, 1), (1, 0))):
            corners[w, k] = (vx[r + dr, c + dc], vy[r + dr, c + dc])
    codes = np.array([f"E0509{w + 1:04d}" for w in range(n_wards)], dtype=object)
    names = np.array(
        [
            WARD_NAMES[w] if w < len(WARD_NAMES) else f"{WARD_NAMES[w % len(WARD_NAMES)]} {w // len(WARD_NAMES) + 1}"
            for w in range(n_wards)
        ],
        dtype=object,
    )
    outward = np.array(
        [WARD_OUTWARD[w] if w < len(WARD_OUTWARD) else f"{'ENWS'[w % 4]}{10 + w // 4}" for w in range(n_wards)],
        dtype=object,
    )
    streets = np.array(
        [[STREETS[(3 * w + k) % len(STREETS)] for k in range(3)] for w in range(n_wards)],
        dtype=object,
    )
    geo = Geography(codes, names, outward, corners, grid, pd.DataFrame(), pd.DataFrame(), streets)
    geo.places = _build_places(geo, rng)
    geo.schools = _build_schools(geo, people, rng)
    return geo


def _build_places(geo: Geography, rng: np.random.Generator) -> pd.DataFrame:
    rows = [(n, a, t, w % geo.n_wards) for n, a, t, w in PLACES]
    kinds = (("Park", "park_open_space"), ("Estate", "dwelling"), ("Chicken", "shop_takeaway"))
    for w in range(len(WARD_NAMES), geo.n_wards):
        for label, ltype in kinds[: 1 + w % 3]:
            name = f"{geo.ward_names[w]} {label}"
            rows.append((name, f"{name.replace(' ' + label, '')} {label[:3]}.", ltype, w))
    df = pd.DataFrame(rows, columns=["name", "aliases", "location_type", "ward"])
    lat, lon = geo.random_points(df["ward"].to_numpy(), rng)
    df.insert(0, "place_id", [f"PL{i + 1:04d}" for i in range(len(df))])
    df["ward_code"] = geo.ward_codes[df["ward"].to_numpy()]
    df["latitude"] = np.round(lat, 6)
    df["longitude"] = np.round(lon, 6)
    return df


def _build_schools(geo: Geography, people: int, rng: np.random.Generator) -> pd.DataFrame:
    n_sec = max(12, int(round(people / 600)))
    n_pri = max(16, int(round(people / 400)))
    names = [SECONDARY_NAMES[i] if i < len(SECONDARY_NAMES) else f"Academy No. {i + 1}" for i in range(n_sec)]
    names += [PRIMARY_NAMES[i] if i < len(PRIMARY_NAMES) else f"Primary No. {i + 1}" for i in range(n_pri)]
    phases = ["secondary"] * n_sec + ["primary"] * n_pri
    urns = rng.choice(np.arange(100000, 150000), size=n_sec + n_pri, replace=False)
    wards = np.concatenate(
        [
            np.linspace(0, geo.n_wards - 1, n_sec).round().astype(int),
            rng.integers(0, geo.n_wards, n_pri),
        ]
    )
    return pd.DataFrame(
        {
            "urn": urns.astype(str),
            "name": names,
            "phase": phases,
            "ward": wards,
            "ward_code": geo.ward_codes[wards],
        }
    )


def random_postcodes(outward: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Full synthetic postcodes (``N16 7QX``) for the given outward codes."""
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    d = rng.integers(0, 10, len(outward)).astype(str)
    a = letters[rng.integers(0, len(letters), len(outward))]
    b = letters[rng.integers(0, len(letters), len(outward))]
    return (pd.Series(outward, dtype=object) + " " + d + a + b).to_numpy(dtype=object)


def write_reference(geo: Geography, population: pd.DataFrame, out: Path) -> None:
    """Write ``reference/`` (wards.csv, wards.geojson, population.csv, schools.csv, places.csv)."""
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"ward_code": geo.ward_codes, "ward_name": geo.ward_names}).to_csv(
        out / "wards.csv", index=False, lineterminator="\n"
    )
    features = []
    for w in range(geo.n_wards):
        ring = [[round(float(x), 6), round(float(y), 6)] for x, y in geo.corners[w]]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "ward_code": str(geo.ward_codes[w]),
                    "ward_name": str(geo.ward_names[w]),
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    (out / "wards.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, indent=1), encoding="utf-8"
    )
    population.to_csv(out / "population.csv", index=False, lineterminator="\n")
    geo.schools[["urn", "name", "phase", "ward_code"]].to_csv(out / "schools.csv", index=False, lineterminator="\n")
    geo.places[["place_id", "name", "aliases", "location_type", "ward_code", "latitude", "longitude"]].to_csv(
        out / "places.csv", index=False, lineterminator="\n"
    )
