"""Name pools of a diverse inner-London borough, and the ways names get mis-recorded.

Pools are keyed by DfE ethnicity code. They are deliberately short, drawn with Zipf-like weights,
so that name collisions happen (two different "Mohammed Ali"s) as they do in real extracts.
"""

from __future__ import annotations

import unicodedata

import numpy as np

_M = "M"
_F = "F"

FORENAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "WBRI": {
        _M: ("Oliver", "Harry", "Jack", "George", "Charlie", "Alfie", "Thomas", "James", "Joshua",
             "William", "Alexander", "Daniel", "Samuel", "Callum", "Connor", "Liam", "Kyle",
             "Reece", "Jordan", "Tyler", "Lewis", "Ryan", "Bradley", "Jake", "Mason", "Chaim",
             "Moshe", "Shmuel", "Noël"),
        _F: ("Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Chloe",
             "Jessica", "Ellie", "Megan", "Holly", "Charlotte", "Zoë", "Amy", "Lauren", "Courtney",
             "Chelsea", "Kayleigh", "Rebecca", "Rivka", "Chana", "Renée"),
    },
    "WOTH": {
        _M: ("Mehmet", "Mustafa", "Emre", "Can", "Deniz", "Baran", "Yusuf", "Hüseyin", "Serkan",
             "Łukasz", "Jakub", "Kacper", "Szymon", "José", "João", "Tiago", "Luca", "Andrei",
             "Ionuţ", "Daniel"),
        _F: ("Elif", "Zeynep", "Ayşe", "Dilan", "Berfin", "Derya", "Melek", "Wiktoria", "Zuzanna",
             "Maja", "Inês", "Beatriz", "Ana", "Ioana", "Zoë", "Chloé"),
    },
    "BAFR": {
        _M: ("Olusegun", "Oluwaseun", "Oluwatobi", "Chukwuemeka", "David", "Daniel", "Samuel",
             "Kwame", "Kofi", "Abdirahman", "Abdullahi", "Mohamed", "Ahmed", "Yusuf", "Israel",
             "Emmanuel", "Joshua", "Oluwafemi", "Michael"),
        _F: ("Folake", "Adaeze", "Chioma", "Blessing", "Favour", "Precious", "Abena", "Ama",
             "Hodan", "Ayaan", "Fartun", "Amina", "Deborah", "Esther", "Grace", "Comfort"),
    },
    "BCRB": {
        _M: ("Tyrone", "Jermaine", "Kai", "Malachi", "Isaiah", "Jayden", "Tyrese", "Marcus",
             "Andre", "Nathaniel", "Elijah", "Leon", "Dwayne", "Kyrie", "Joshua", "Daniel"),
        _F: ("Shanice", "Tia", "Jada", "Aaliyah", "Keisha", "Nia", "Amara", "Kayla", "Zara",
             "Leah", "Rebecca", "Jessica"),
    },
    "ABAN": {
        _M: ("Mohammed", "Muhammad", "Abdul", "Rahim", "Imran", "Sahil", "Rayhan", "Tanvir",
             "Ibrahim", "Yusuf", "Ayaan", "Zayn", "Mohammed"),
        _F: ("Fatima", "Ayesha", "Sumaya", "Nusrat", "Maryam", "Tasnim", "Safa", "Jannat",
             "Fatima"),
    },
    "AOTH": {
        _M: ("Muhammad", "Hamza", "Arjun", "Rohan", "Mohammed", "Ali", "Hassan", "Bilal", "Zain",
             "Aarav"),
        _F: ("Priya", "Anika", "Simran", "Ayesha", "Zainab", "Hafsa", "Aaliyah", "Noor"),
    },
    "CHNE": {
        _M: ("Wei", "Jun", "Hao", "Kevin", "Jason", "Ethan"),
        _F: ("Mei", "Lily", "Xin", "Yan", "Jessica", "Chloe"),
    },
    "OOTH": {
        _M: ("Omar", "Karim", "Minh", "Duc", "José", "Luis", "Mateo", "Ahmad", "Yousef", "Dara",
             "Mohammed", "Ali"),
        _F: ("Layla", "Nour", "Anh", "Linh", "Camila", "Valentina", "Sara", "Mariam", "Noor"),
    },
}
FORENAMES["BOTH"] = {
    s: FORENAMES["BAFR"][s][:10] + FORENAMES["BCRB"][s][:10] for s in (_M, _F)
}
FORENAMES["MWBC"] = {
    s: FORENAMES["WBRI"][s][:18] + FORENAMES["BCRB"][s][:12] for s in (_M, _F)
}
FORENAMES["MOTH"] = {
    s: FORENAMES["WBRI"][s][:12] + FORENAMES["BAFR"][s][:6] + FORENAMES["OOTH"][s][:6]
    for s in (_M, _F)
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "WBRI": ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
             "Thomas", "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White",
             "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson",
             "Clarke", "Murphy", "O'Brien", "O'Connor", "Kelly", "Doyle", "Cohen", "Levy",
             "Friedman", "Goldberg", "Stern", "Schwartz"),
    "WOTH": ("Yilmaz", "Kaya", "Demir", "Çelik", "Doğan", "Aydin", "Öztürk", "Arslan", "Polat",
             "Koç", "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Lewandowski",
             "Gonçalves", "Sánchez", "Muñoz", "Silva", "Santos", "Pereira", "Popescu", "Ionescu",
             "Rossi", "Grünfeld", "Weiss", "Klein"),
    "BAFR": ("Okafor", "Adeyemi", "Adebayo", "Okonkwo", "Mensah", "Asante", "Osei", "Boateng",
             "Owusu", "Abdi", "Mohamed", "Hassan", "Warsame", "Farah", "Ali", "Nwosu", "Eze",
             "Oyelaran", "Ogunleye", "Kamara", "Diallo", "Mbeki", "Adeleke", "Johnson"),
    "BCRB": ("Campbell", "Brown", "Williams", "Thompson", "Johnson", "Francis", "Grant", "Reid",
             "Henry", "Clarke", "Morgan", "Bailey", "Richards", "Gordon", "Lewis", "Powell",
             "Forbes", "Spencer"),
    "ABAN": ("Begum", "Rahman", "Ahmed", "Uddin", "Miah", "Hussain", "Khan", "Islam", "Ali",
             "Chowdhury", "Hoque", "Akhtar"),
    "AOTH": ("Patel", "Khan", "Shah", "Singh", "Kaur", "Iqbal", "Sivakumar", "Hussain", "Ali",
             "Malik", "Butt", "Sharma"),
    "CHNE": ("Chen", "Wang", "Li", "Zhang", "Liu", "Lin", "Wong", "Chan"),
    "OOTH": ("Nguyen", "Tran", "Pham", "Haddad", "Saleh", "Rodríguez", "García", "López",
             "Ahmadi", "Hosseini", "Karimi", "Mahmoud", "Ali"),
}
SURNAMES["BOTH"] = SURNAMES["BAFR"][:12] + SURNAMES["BCRB"][:12]
SURNAMES["MWBC"] = SURNAMES["BCRB"] + SURNAMES["WBRI"][:15]
SURNAMES["MOTH"] = SURNAMES["WBRI"][:15] + SURNAMES["OOTH"][:6] + SURNAMES["BAFR"][:6]

ADULT_FORENAMES = {
    _M: ("Paul", "Mark", "John", "Michael", "David", "Andrew", "Ahmed", "Mohammed", "Kevin",
         "Dean", "Wayne", "Ricky", "Tunde", "Kemal", "Ali", "Gary", "Lee", "Darren", "Adrian",
         "Stefan", "Marek", "Ryan", "Tyrone", "Delroy"),
    _F: ("Sarah", "Claire", "Michelle", "Joanne", "Nicola", "Fatima", "Ayse", "Funmi", "Sandra",
         "Lisa", "Angela", "Maria", "Joanna", "Shirley", "Yvonne", "Rukhsana", "Agnieszka"),
}

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Mo", "Mohd"), "Muhammad": ("Mo",), "Mohamed": ("Mo",),
    "Alexander": ("Alex",), "Olusegun": ("Segun",), "Oluwaseun": ("Seun",),
    "Oluwatobi": ("Tobi",), "Oluwafemi": ("Femi",), "Chukwuemeka": ("Emeka",),
    "Abdirahman": ("Abdi",), "Abdullahi": ("Abdi",), "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam",), "Joshua": ("Josh",), "Thomas": ("Tom", "Tommy"), "James": ("Jamie",),
    "William": ("Will", "Billy"), "Jessica": ("Jess",), "Rebecca": ("Becky",),
    "Charlotte": ("Lottie",), "Nathaniel": ("Nate",), "Ibrahim": ("Ibby",),
    "Oliver": ("Ollie",), "Kayleigh": ("Kay",), "Mustafa": ("Musti",), "Yusuf": ("Yus",),
    "Adaeze": ("Ada",), "Jakub": ("Kuba",), "Zuzanna": ("Zuzia",), "Emmanuel": ("Manny",),
    "Michael": ("Mike",), "Jermaine": ("Jerm",), "Abdul": ("Abs",), "Malachi": ("Kai",),
    "Isaiah": ("Zay",), "Elijah": ("Eli",), "Hamza": ("Hamz",), "Ayesha": ("Aisha",),
    "Valentina": ("Vale",), "Shmuel": ("Shmuli",), "Callum": ("Cal",), "Bradley": ("Brad",),
    "Precious": ("Presh",), "Deborah": ("Debbie",), "Abena": ("Abby",), "Tyrese": ("Ty",),
    "Tyrone": ("Ty",), "Jayden": ("Jay",), "Jordan": ("Jord",), "Amelia": ("Millie",),
}

VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad"), "Muhammad": ("Mohammed", "Muhammed"),
    "Mohamed": ("Mohammed", "Mohamud"), "Yusuf": ("Yousef", "Yusef"), "Yousef": ("Yusuf",),
    "Ahmed": ("Ahmad",), "Ahmad": ("Ahmed",), "Hussain": ("Hussein", "Husain"),
    "Abdirahman": ("Abdulrahman", "Abdurahman"), "Ayesha": ("Aisha", "Ayisha"),
    "Fatima": ("Fatimah",), "Ibrahim": ("Ebrahim",), "Mustafa": ("Mustapha",),
    "Hassan": ("Hasan",), "Chowdhury": ("Choudhury",), "Mehmet": ("Mehmed",), "Chaim": ("Haim",),
    "Moshe": ("Moishe",), "Rahman": ("Rehman",), "Uddin": ("Udin",), "Abdi": ("Abdy",),
    "Oluwaseun": ("Oluwaseyi",), "Nguyen": ("Nguyễn",), "Aaliyah": ("Aliyah",),
    "Shanice": ("Shaniece",), "Jayden": ("Jaden",), "Kayleigh": ("Kayley", "Kaylee"),
    "Zainab": ("Zaynab",), "Maryam": ("Mariam",), "Mariam": ("Maryam",),
}

_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vnh", "c": "xvd", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy",
    "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol",
    "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij", "v": "cbf", "w": "qes", "x": "zcs",
    "y": "tuh", "z": "xa",
}


def zipf_weights(n: int, s: float = 0.9) -> np.ndarray:
    """Zipf-like sampling weights for a pool of ``n`` names (earlier names commoner)."""
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def strip_accents(text: str) -> str:
    """Drop diacritics (``Zoë`` -> ``Zoe``, ``Łukasz`` -> ``Lukasz``), as keyboards often do."""
    text = text.replace("Ł", "L").replace("ł", "l").replace("ı", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_cp1252_safe(text: str) -> str:
    """Replace characters Windows-1252 cannot encode by their unaccented form."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        return "".join(_char_cp1252(c) for c in text)


def _char_cp1252(c: str) -> str:
    try:
        c.encode("cp1252")
        return c
    except UnicodeEncodeError:
        return strip_accents(c)


def one_char_edit(name: str, rng: np.random.Generator) -> str:
    """Apply one character edit (substitute a neighbouring key, delete, or double a letter)."""
    if len(name) < 3:
        return name + name[-1].lower()
    i = int(rng.integers(1, len(name)))  # keep the initial letter, as typos rarely hit it
    op = rng.random()
    ch = name[i]
    if op < 0.45 and ch.lower() in _KEYBOARD_NEIGHBOURS:
        pool = _KEYBOARD_NEIGHBOURS[ch.lower()]
        new = pool[int(rng.integers(0, len(pool)))]
        if new == ch.lower():
            new = "e" if ch.lower() != "e" else "a"
        return name[:i] + new + name[i + 1:]
    if op < 0.75 and len(name) > 3:
        return name[:i] + name[i + 1:]
    return name[:i] + ch.lower() + name[i:]
