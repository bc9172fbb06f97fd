"""Where each incident happened, and the officer's free-text summary (``mo_text``).

The text names people the way officers write them ("V Zoë SMITH", "suspect known as Mo"), so it
carries personal data, which is why the spec says it must never be published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.geography import Geography
from synthetic.vocab import OUT_OF_BOROUGH

STABS = (
    "a stab wound to the leg",
    "a slash wound to the arm",
    "a stab wound to the back",
    "a stab wound to the buttock",
)
BLUNT = ("a cut to the head", "bruising to the face", "a broken nose", "minor injuries")
INJURIES = (
    "a cut to the head",
    "bruising to the face",
    "a stab wound to the leg",
    "a broken nose",
    "minor injuries",
    "a slash wound to the arm",
    "a stab wound to the back",
)
ITEMS = (
    "his phone and AirPods",
    "her phone",
    "his phone and jacket",
    "his bike",
    "cash and a bank card",
    "his trainers",
    "a Canada Goose jacket",
)
WEAPONS = (
    "a lock knife",
    "a kitchen knife",
    "a zombie knife",
    "a machete",
    "a knuckle duster",
    "a hammer",
)
LINES = ("Bando", "Benz", "Ricky", "Smokey", "Kilo", "Tony", "Jay", "Reds")
APPS = ("Snapchat", "Instagram", "TikTok", "WhatsApp")


def _who(fn: str, sn: str, u: float) -> str:
    if u < 0.45:
        return f"{fn} {sn.upper()}"
    if u < 0.75:
        return f"{fn} {sn}"
    return fn


def locate_and_describe(
    inc: pd.DataFrame,
    kind_names: tuple[str, ...],
    victim: np.ndarray,
    suspect: np.ndarray,
    n_sus: np.ndarray,
    people_fn: np.ndarray,
    people_sn: np.ndarray,
    people_age: np.ndarray,
    people_ward: np.ndarray,
    group_places: list[np.ndarray],
    group_ward: np.ndarray,
    group_school: np.ndarray,
    geo: Geography,
    app: str,
    rng: np.random.Generator,
    offence: np.ndarray,
    knife: np.ndarray,
) -> pd.DataFrame:
    """Location columns and ``mo_text`` for every incident (one pass; strings are per row).

    ``offence`` and ``knife`` (flag) keep the free text consistent with the coded fields.
    """
    n = len(inc)
    places = geo.places
    p_name = places["name"].to_numpy()
    p_alias = [a.split(";") for a in places["aliases"]]
    p_type = places["location_type"].to_numpy()
    p_lat = places["latitude"].to_numpy()
    p_lon = places["longitude"].to_numpy()
    p_ward = places["ward"].to_numpy()
    by_type = {t: np.flatnonzero(p_type == t) for t in np.unique(p_type)}
    sch_name = geo.schools["name"].to_numpy()
    sch_ward = geo.schools["ward"].to_numpy()
    U = rng.random((n, 8))
    jitter = rng.normal(0, 0.0003, (n, 2))
    wu = rng.uniform(0.08, 0.92, (n, 2))
    kinds = inc["kind"].to_numpy()
    groups = inc["group"].to_numpy()
    special = inc["special"].to_numpy()
    fwards = inc["ward"].to_numpy()
    fplace = inc["place"].to_numpy()
    out_type = np.empty(n, dtype=object)
    out_name = np.empty(n, dtype=object)
    out_ward = np.full(n, -1, dtype=np.int64)
    out_lat = np.full(n, np.nan)
    out_lon = np.full(n, np.nan)
    text = np.empty(n, dtype=object)
    corners = geo.corners

    def point(w: int, i: int) -> tuple[float, float]:
        a, b = wu[i]
        c = corners[w]
        x = (1 - a) * (1 - b) * c[0] + a * (1 - b) * c[1] + a * b * c[2] + (1 - a) * b * c[3]
        return float(x[1]), float(x[0])

    for i in range(n):
        k = kind_names[kinds[i]]
        u = U[i]
        g = groups[i]
        home = fwards[i] if fwards[i] >= 0 else (group_ward[g] if g >= 0 else 0)
        v = victim[i]
        s = suspect[i]
        place = -1
        ltype = "street"
        name = ""
        ward = home
        oob = None
        # ---- location --------------------------------------------------------------------
        if fplace[i] >= 0:
            place = fplace[i]
        elif special[i] == 3:  # the exceedance: on the streets and places of its ward
            cand = np.flatnonzero(p_ward == home)
            if len(cand) and u[0] < 0.35:
                place = int(cand[int(u[1] * len(cand))])
        elif special[i] == 1 or k == "online_cse":
            if u[0] < 0.6:
                ltype, ward = "online", -1
                name = f"{app} (online)" if special[i] == 1 else ("Online" if u[1] < 0.5 else "Social media")
            else:
                cand = np.flatnonzero(p_ward == home)
                place = int(cand[int(u[1] * len(cand))]) if len(cand) and u[2] < 0.6 else -1
        elif k == "drugs" and u[0] < 0.3:
            oob = OUT_OF_BOROUGH[int(u[1] * len(OUT_OF_BOROUGH))]
        elif k == "drugs" and u[0] < 0.65:
            cand = by_type.get("public_transport", np.zeros(0, int))
            near = (
                cand[np.abs(geo.ward_grid[p_ward[cand]] - geo.ward_grid[home]).sum(axis=1) <= 1] if len(cand) else cand
            )
            place = int((near if len(near) else cand)[int(u[1] * max(1, len(near) or len(cand)))]) if len(cand) else -1
        elif k in ("peer_sexual", "images"):
            if k == "images" and u[0] < 0.6:
                ltype, ward, name = "online", -1, ("Snapchat" if u[1] < 0.5 else "Online")
            elif u[0] < 0.75:
                sch = group_school[g] if g >= 0 else 0
                ltype, name, ward = "school_college", sch_name[sch], sch_ward[sch]
            elif u[0] < 0.88:
                ltype, name = "dwelling", "Home address"
            elif g >= 0 and len(group_places[g]):
                place = int(group_places[g][int(u[1] * len(group_places[g]))])
        elif k == "cse":
            if u[0] < 0.3:
                ltype, name = "dwelling", "Residential address"
            elif u[0] < 0.45:
                hostels = by_type.get("hostel_supported_housing", np.zeros(0, int))
                place = int(hostels[int(u[1] * len(hostels))]) if len(hostels) else -1
            elif u[0] < 0.6:
                shops = by_type.get("shop_takeaway", np.zeros(0, int))
                place = int(shops[int(u[1] * len(shops))]) if len(shops) else -1
            elif u[0] < 0.75:
                parks = by_type.get("park_open_space", np.zeros(0, int))
                place = int(parks[int(u[1] * len(parks))]) if len(parks) else -1
            elif u[0] < 0.85:
                ltype, ward, name = "online", -1, "Snapchat"
        elif k == "domestic":
            ltype, name = "dwelling", "Home address"
        elif g >= 0 and len(group_places[g]) and u[0] < 0.45:
            place = int(group_places[g][int(u[1] * len(group_places[g]))])
        elif k == "violence" and g >= 0 and u[0] < 0.55:
            sch = group_school[g]
            ltype, name, ward = "school_college", f"Outside {sch_name[sch]}", sch_ward[sch]
        elif k == "theft" and u[0] < 0.7:
            shops = by_type.get("shop_takeaway", np.zeros(0, int))
            place = int(shops[int(u[1] * len(shops))]) if len(shops) else -1
        if place >= 0:
            ltype = p_type[place]
            name = (
                p_name[place] if u[3] < 0.55 or not p_alias[place] else p_alias[place][int(u[4] * len(p_alias[place]))]
            )
            ward = p_ward[place]
            out_lat[i] = round(p_lat[place] + jitter[i, 0], 6)
            out_lon[i] = round(p_lon[place] + jitter[i, 1], 6)
        elif oob is not None:
            ltype, name, ward = ("public_transport" if u[2] < 0.4 else "dwelling"), oob[0], -1
            out_lat[i], out_lon[i] = oob[1] + jitter[i, 0] * 3, oob[2] + jitter[i, 1] * 3
        elif ltype != "online":
            if not name:
                st = geo.streets[ward]
                name = st[int(u[4] * 3)] if u[5] < 0.7 else f"Junction of {st[0]} and {st[1]}"
            if u[6] < 0.97:
                out_lat[i], out_lon[i] = point(ward, i)
        out_type[i] = ltype
        out_name[i] = name
        out_ward[i] = ward
        # ---- text ------------------------------------------------------------------------
        vn = _who(people_fn[v], people_sn[v], u[7]) if v >= 0 else ""
        sn = _who(people_fn[s], people_sn[s], 1 - u[7]) if s >= 0 else ""
        va = int(people_age[v]) if v >= 0 else 0
        where = name if name else "the location"
        text[i] = _text(
            k,
            special[i],
            vn,
            sn,
            va,
            int(n_sus[i]),
            where,
            oob,
            app,
            u,
            str(offence[i]),
            bool(knife[i]),
        )
    return pd.DataFrame(
        {
            "location_type": out_type,
            "location_name": out_name,
            "ward": out_ward,
            "latitude": np.round(out_lat, 6),
            "longitude": np.round(out_lon, 6),
            "mo_text": text,
        }
    )


def _text(
    k: str,
    special: int,
    v: str,
    s: str,
    age: int,
    n_sus: int,
    where: str,
    oob: tuple | None,
    app: str,
    u: np.ndarray,
    offence: str = "",
    knife: bool = False,
) -> str:
    pick = int(u[5] * 1000)
    sus = s if s else "unknown suspect"
    if special == 1:
        t = (
            f"V {v} ({age}) was added on {app} by a male claiming to be 17. He asked her to send pictures "
            f"and then threatened to share them with her school. V met him near {where}.",
            f"Parent reports V {v} ({age}) has been talking to older males on {app} and sent pictures. "
            f"Suspect {sus} used the {app} account to arrange to meet.",
            f"V {v} added on {app} by an unknown account, sent pictures after being promised money. "
            f"Images now shared. Online CSE concerns.",
        )
        return t[pick % 3]
    if k == "violence":
        n = max(n_sus, 2)
        if offence == "Threats to kill":
            return (
                f"V {v} ({age}) threatened by {sus} at {where}: said he would stab V; "
                f"follow-up messages on social media. {'Knife seen. ' if knife else ''}"
            ).strip()
        if knife:
            return (
                f"Fight between two groups at {where}. V {v} ({age}) stabbed, "
                f"{STABS[pick % len(STABS)]}. {sus} arrested at scene."
            )
        blunt = (
            f"V {v} assaulted by a group of {n} youths near {where}, sustaining "
            f"{BLUNT[pick % len(BLUNT)]}. V names one suspect as {sus}.",
            f"V {v} punched and kicked to the ground at {where} by {sus} and others, over a dispute on social media.",
        )
        return blunt[pick % 2]
    if k in ("robbery", "bg_robbery"):
        item = ITEMS[pick % len(ITEMS)]
        if k == "bg_robbery":
            return f"V {v} ({age}) robbed of {item} by two unknown males on mopeds on {where}."
        return (
            f"V {v} stopped at {where} by {max(n_sus, 2)} youths who demanded {item}. "
            f"{WEAPONS[pick % len(WEAPONS)].capitalize()} shown. V states one suspect is {sus}."
        )
    if k == "weapons":
        return f"Stop and search at {where}. {sus} found in possession of {WEAPONS[pick % 4]} in waistband. Said it was for protection."
    if k == "drugs":
        line = LINES[pick % len(LINES)]
        if oob is not None:
            return (
                f"Officers in {oob[0]} found {sus} at an address used for dealing (cuckooed). "
                f"Believed to be running the '{line}' line from London. Reported missing from home."
            )
        drugs = "bags of cannabis and scales" if "class B" in offence else "wraps of crack cocaine and heroin"
        return f"{sus} stopped at {where} with {drugs} and a burner phone; '{line}' line."
    if k == "cce_victim":
        return (
            f"{v} ({age}) found with drugs and cash; believed exploited by older associate {sus} to run "
            f"the '{LINES[pick % len(LINES)]}' county line. NRM referral made."
        )
    if k == "peer_sexual":
        return f"V {v} ({age}) disclosed to a teacher that {sus} touched her sexually at {where} against her wishes. Both pupils."
    if k == "images":
        return f"Intimate image of V {v} ({age}) shared in a group chat by {sus}; circulated among pupils."
    if k == "cse":
        t = (
            f"V {v} ({age}) reported missing, found at {where} with older male {sus}. Had been given alcohol and cannabis. CSE concerns.",
            f"V {v} disclosed that {sus} buys her food at {where} and asks her to meet his friends.",
            f"V {v} ({age}) seen getting into a car with {sus} near {where}. Gifts and phone top-ups.",
        )
        return t[pick % 3]
    if k == "online_cse":
        return f"V {v} ({age}) groomed on {APPS[pick % len(APPS)]} by an adult who asked for pictures. Suspect {sus}."
    if k == "theft":
        return (
            f"{sus} detained by security at {where} for shoplifting."
            if pick % 2
            else f"V {v}'s bike taken outside {where} by {sus}."
        )
    if k == "damage":
        return f"{sus} seen kicking doors and smashing windows at {where}."
    if k == "public_order":
        return f"Large group of youths at {where} causing alarm; {sus} given dispersal notice."
    if k == "assault_adult":
        return f"V {v} ({age}) assaulted by an adult male {sus} at {where} after a verbal altercation."
    if k == "domestic":
        return f"Call from neighbour. V {v} ({age}) assaulted by {sus} at home. Siblings present."
    return f"Incident at {where}."
