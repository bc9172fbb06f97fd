"""Name pools of a diverse inner-London borough, and the ways names get mis-recorded.

Pools are keyed by community of origin (which maps onto a DfE ethnicity code). They are deliberately short, drawn with Zipf-like weights,
so that name collisions happen (two different "Mohammed Ali"s) as they do in real extracts.
"""

from __future__ import annotations

import unicodedata

import numpy as np

_M = "M"
_F = "F"


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# fmt: off
#: Name pools by community of origin: (forenames M, forenames F, surnames), and the DfE code the
#: community mostly records. Keeping communities apart avoids "José Yilmaz"-style chimeras; mixed
#: heritage families draw from two communities.
ORIGINS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "british": ("WBRI",
        _split("Oliver Harry Jack George Charlie Alfie Thomas James Joshua William Alexander Daniel "
               "Samuel Callum Connor Liam Kyle Reece Jordan Tyler Lewis Ryan Bradley Jake Mason Noël "
               "Freddie Archie Theo Leo Oscar Henry Finley Harrison Louis Toby Max Ethan Dylan Luke Sam"),
        _split("Olivia Amelia Isla Ava Emily Sophie Grace Lily Chloe Jessica Ellie Megan Holly "
               "Charlotte Zoë Amy Lauren Courtney Chelsea Kayleigh Rebecca Renée Poppy Freya Evie "
               "Ruby Daisy Florence Millie Rosie Phoebe Imogen Alice Matilda Erin Maisie Hannah"),
        _split("Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Walker "
               "Wright Robinson Thompson White Hughes Edwards Green Hall Wood Harris Lewis Martin "
               "Jackson Clarke Murphy O'Brien O'Connor Kelly Doyle Baker Carter Cooper Ward Turner Hill "
               "Moore King Allen Young Scott Mitchell Bennett Collins Cook Bell Stewart Morris Price Shaw Fox "
               "Palmer Mills Webb Barnes Hunt Lloyd Fisher Dixon Holmes Knight")),
    "orthodox_jewish": ("WBRI",
        _split("Chaim Moshe Shmuel Yossi Avraham Yitzchok Mendel Dovid Yehuda Shlomo Aron Boruch Eli Yakov"),
        _split("Rivka Chana Faigy Esther Malky Sarah Leah Miriam Devorah Rochel Shoshana Bracha Gitty"),
        _split("Cohen Levy Friedman Goldberg Stern Schwartz Weiss Klein Grünfeld Rosenberg Katz Gross "
               "Herskovitz Lieberman Steiner Landau Rubin Kahan")),
    "turkish_kurdish": ("WOTH",
        _split("Mehmet Mustafa Emre Can Deniz Baran Yusuf Hüseyin Serkan Ali Kerem Efe Burak Onur Arda "
               "Berk Cem Umut Volkan Hakan Murat"),
        _split("Elif Zeynep Ayşe Dilan Berfin Derya Melek Eylül Ece Zehra Selin Defne Irem Buse Gizem "
               "Sevgi Nur Yasemin"),
        _split("Yilmaz Kaya Demir Çelik Doğan Aydin Öztürk Arslan Polat Koç Şahin Yildiz Aslan Kurt "
               "Özdemir Erdoğan Güneş Kara Korkmaz Aksoy Bulut Tekin Keskin Ünal")),
    "polish": ("WOTH",
        _split("Łukasz Jakub Kacper Szymon Filip Mateusz Michał Antoni Wojciech Bartosz Dawid Oskar"),
        _split("Wiktoria Zuzanna Maja Julia Natalia Zofia Oliwia Hanna Amelia Lena Alicja"),
        _split("Nowak Kowalski Wiśniewski Wójcik Kowalczyk Lewandowski Zieliński Kamiński Szymański "
               "Woźniak Dąbrowski Kozłowski Jankowski Mazur Krawczyk")),
    "iberian": ("WOTH",
        _split("José João Tiago Diogo Rodrigo Pedro Miguel Rafael Gonçalo Afonso Duarte"),
        _split("Inês Beatriz Mariana Leonor Ana Carolina Matilde Margarida Francisca"),
        _split("Gonçalves Sánchez Muñoz Silva Santos Pereira Ferreira Costa Oliveira Rodrigues "
               "Martins Sousa Fernandes Lopes Marques Ribeiro")),
    "romanian": ("WOTH",
        _split("Andrei Ionuţ Mihai Luca Darius Stefan Alexandru Gabriel Cristian Vlad Razvan"),
        _split("Ioana Maria Elena Andreea Bianca Alexandra Denisa Larisa Roxana"),
        _split("Popescu Ionescu Popa Dumitru Stan Munteanu Stoica Gheorghe Matei Ciobanu Rusu Lazar")),
    "nigerian": ("BAFR",
        _split("Olusegun Oluwaseun Oluwatobi Chukwuemeka David Daniel Samuel Emmanuel Joshua "
               "Oluwafemi Michael Israel Tobi Ayomide Tunde Ikenna Chinedu Obinna Femi Damilola Kayode "
               "Dayo Ebuka"),
        _split("Folake Adaeze Chioma Blessing Favour Precious Deborah Esther Grace Comfort Temi Funmilayo "
               "Ngozi Adaora Ifeoma Bukola Kemi Titilayo Simisola"),
        _split("Okafor Adeyemi Adebayo Okonkwo Nwosu Eze Oyelaran Ogunleye Adeleke Johnson Okoro Balogun "
               "Adewale Oladipo Afolabi Obi Nnamdi Uche Chukwu Ibekwe Olawale Bakare Akinola Ogundipe")),
    "ghanaian": ("BAFR",
        _split("Kwame Kofi Kwabena Yaw Emmanuel Daniel Nana Kojo Kwesi Kwaku Fiifi Ebo Prince"),
        _split("Abena Ama Akosua Efua Grace Adwoa Afia Akua Esi Yaa Maame Nhyira"),
        _split("Mensah Asante Osei Boateng Owusu Agyeman Appiah Amoah Acheampong Darko Frimpong Ansah "
               "Opoku Sarpong Addo")),
    "somali": ("BAFR",
        _split("Abdirahman Abdullahi Mohamed Ahmed Yusuf Abdi Hassan Ismail Abdikarim Mahad Liban "
               "Khalid Hamza Sharmarke"),
        _split("Hodan Ayaan Fartun Amina Hibo Sagal Nasra Ikran Sahra Hamdi Ubah Khadra Ilhan"),
        _split("Abdi Mohamed Hassan Warsame Farah Ali Osman Jama Aden Nur Egal Yusuf Hirsi Dualeh Guled")),
    "caribbean": ("BCRB",
        _split("Tyrone Jermaine Kai Malachi Isaiah Jayden Tyrese Marcus Andre Nathaniel Elijah Leon "
               "Dwayne Kyrie Joshua Daniel Jamal Dante Rashid Kareem Josiah Ezekiel Levi Omari Reuben"),
        _split("Shanice Tia Jada Aaliyah Keisha Nia Amara Kayla Zara Leah Rebecca Jessica Imani Kiara "
               "Tiana Jasmine Naomi Chantelle Destiny Makayla"),
        _split("Campbell Brown Williams Thompson Johnson Francis Grant Reid Henry Clarke Morgan "
               "Bailey Richards Gordon Lewis Powell Forbes Spencer Allen Walters Edwards Harvey Baptiste "
               "Charles Samuels Daley Fraser Hylton Bennett Graham McKenzie Robinson Douglas Stewart")),
    "bangladeshi": ("ABAN",
        _split("Mohammed Muhammad Abdul Rahim Imran Sahil Rayhan Tanvir Ibrahim Yusuf Ayaan Zayn Arif "
               "Shahid Nabil Faisal Rafi Sabbir Jamal Hamid Raihan Tahmid"),
        _split("Fatima Ayesha Sumaya Nusrat Maryam Tasnim Safa Jannat Sadia Nadia Farhana Ruksana Shirin "
               "Taslima Afsana Mahira Anisa"),
        _split("Begum Rahman Ahmed Uddin Miah Hussain Khan Islam Ali Chowdhury Hoque Akhtar Karim Haque "
               "Sarkar Talukder Bhuiyan Mahmud Alam Siddique Rashid Sheikh")),
    "south_asian": ("AOTH",
        _split("Muhammad Hamza Arjun Rohan Mohammed Ali Hassan Bilal Zain Aarav Dev Vikram Kiran Usman "
               "Saad Rayan Harpreet Jaspreet"),
        _split("Priya Anika Simran Ayesha Zainab Hafsa Aaliyah Noor Aisha Mehreen Kavya Diya Amrit Laiba"),
        _split("Patel Khan Shah Singh Kaur Iqbal Sivakumar Hussain Ali Malik Butt Sharma Gill Sandhu "
               "Chaudhry Qureshi Mirza Raza Nair Pillai Desai Mehta")),
    "chinese": ("CHNE",
        _split("Wei Jun Hao Kevin Jason Ethan Jian Ming Tao Ryan Yi"),
        _split("Mei Lily Xin Yan Jessica Chloe Ling Hui Jing Emily Ying"),
        _split("Chen Wang Li Zhang Liu Lin Wong Chan Huang Zhao Wu Zhou Xu Sun Ma Ho Cheung")),
    "vietnamese": ("OOTH",
        _split("Minh Duc Nam Huy Khoa Quang Tuan Long Bao Phuc"),
        _split("Anh Linh Mai Thu Ngoc Lan Hoa Trang Hanh Vy"),
        _split("Nguyen Tran Pham Le Hoang Vu Dang Bui Do Ho Ngo Duong Ly")),
    "arab_iranian": ("OOTH",
        _split("Omar Karim Ahmad Yousef Dara Ali Mohammed Hamid Reza Amir Sami Tariq Nasser Kamal"),
        _split("Layla Nour Sara Mariam Yasmin Noor Dina Rana Shirin Leila Hana Salma"),
        _split("Haddad Saleh Ahmadi Hosseini Karimi Mahmoud Ali Rezaei Khalil Nasser Hamdan Jafari "
               "Moradi Sadeghi Abbas Darwish")),
    "latin_american": ("OOTH",
        _split("José Luis Mateo Santiago Sebastián Carlos Andrés Diego Juan Felipe Nicolás"),
        _split("Camila Valentina Sofía Lucía Daniela Isabella Gabriela Mariana Paula Andrea"),
        _split("Rodríguez García López Martínez Hernández Gómez Pérez Díaz Torres Ramírez Flores "
               "Vargas Castro Morales")),
}
#: share of the 10-19 population by community, and the community pairs of mixed families
ORIGIN_MIX: dict[str, float] = {
    "british": 0.14, "orthodox_jewish": 0.04, "turkish_kurdish": 0.08, "polish": 0.03,
    "iberian": 0.02, "romanian": 0.02, "nigerian": 0.065, "ghanaian": 0.035, "somali": 0.03,
    "caribbean": 0.09, "mixed_wbc": 0.08, "mixed_other": 0.09, "bangladeshi": 0.05,
    "south_asian": 0.06, "chinese": 0.02, "vietnamese": 0.025, "arab_iranian": 0.04,
    "latin_american": 0.025,
}
MIXED: dict[str, tuple[str, str, str]] = {
    "mixed_wbc": ("MWBC", "british", "caribbean"),
    "mixed_other": ("MOTH", "british", "nigerian"),
}
# fmt: on


def origin_dfe(origin: str) -> str:
    """DfE ethnicity code a community mostly records."""
    return MIXED[origin][0] if origin in MIXED else ORIGINS[origin][0]


def origin_pools(origin: str, rng: np.random.Generator) -> tuple[str, str]:
    """(forename community, surname community): mixed families draw each from one parent."""
    if origin in MIXED:
        _, a, b = MIXED[origin]
        return (a, b) if rng.random() < 0.5 else (b, a)
    return origin, origin


# fmt: off
ADULT_FORENAMES = {
    _M: _split("Paul Mark John Michael David Andrew Ahmed Mohammed Kevin Dean Wayne Ricky Tunde Kemal "
               "Ali Gary Lee Darren Adrian Stefan Marek Ryan Tyrone Delroy"),
    _F: _split("Sarah Claire Michelle Joanne Nicola Fatima Ayse Funmi Sandra Lisa Angela Maria Joanna "
               "Shirley Yvonne Rukhsana Agnieszka"),
}
# fmt: on

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Mo", "Mohd"),
    "Muhammad": ("Mo",),
    "Mohamed": ("Mo",),
    "Alexander": ("Alex",),
    "Olusegun": ("Segun",),
    "Oluwaseun": ("Seun",),
    "Oluwatobi": ("Tobi",),
    "Oluwafemi": ("Femi",),
    "Chukwuemeka": ("Emeka",),
    "Abdirahman": ("Abdi",),
    "Abdullahi": ("Abdi",),
    "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam",),
    "Joshua": ("Josh",),
    "Thomas": ("Tom", "Tommy"),
    "James": ("Jamie",),
    "William": ("Will", "Billy"),
    "Jessica": ("Jess",),
    "Rebecca": ("Becky",),
    "Charlotte": ("Lottie",),
    "Nathaniel": ("Nate",),
    "Ibrahim": ("Ibby",),
    "Oliver": ("Ollie",),
    "Kayleigh": ("Kay",),
    "Mustafa": ("Musti",),
    "Yusuf": ("Yus",),
    "Adaeze": ("Ada",),
    "Jakub": ("Kuba",),
    "Zuzanna": ("Zuzia",),
    "Emmanuel": ("Manny",),
    "Michael": ("Mike",),
    "Jermaine": ("Jerm",),
    "Abdul": ("Abs",),
    "Malachi": ("Kai",),
    "Isaiah": ("Zay",),
    "Elijah": ("Eli",),
    "Hamza": ("Hamz",),
    "Ayesha": ("Aisha",),
    "Valentina": ("Vale",),
    "Shmuel": ("Shmuli",),
    "Callum": ("Cal",),
    "Bradley": ("Brad",),
    "Precious": ("Presh",),
    "Deborah": ("Debbie",),
    "Abena": ("Abby",),
    "Tyrese": ("Ty",),
    "Tyrone": ("Ty",),
    "Jayden": ("Jay",),
    "Jordan": ("Jord",),
    "Amelia": ("Millie",),
}

VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad"),
    "Muhammad": ("Mohammed", "Muhammed"),
    "Mohamed": ("Mohammed", "Mohamud"),
    "Yusuf": ("Yousef", "Yusef"),
    "Yousef": ("Yusuf",),
    "Ahmed": ("Ahmad",),
    "Ahmad": ("Ahmed",),
    "Hussain": ("Hussein", "Husain"),
    "Abdirahman": ("Abdulrahman", "Abdurahman"),
    "Ayesha": ("Aisha", "Ayisha"),
    "Fatima": ("Fatimah",),
    "Ibrahim": ("Ebrahim",),
    "Mustafa": ("Mustapha",),
    "Hassan": ("Hasan",),
    "Chowdhury": ("Choudhury",),
    "Mehmet": ("Mehmed",),
    "Chaim": ("Haim",),
    "Moshe": ("Moishe",),
    "Rahman": ("Rehman",),
    "Uddin": ("Udin",),
    "Abdi": ("Abdy",),
    "Oluwaseun": ("Oluwaseyi",),
    "Nguyen": ("Nguyễn",),
    "Aaliyah": ("Aliyah",),
    "Shanice": ("Shaniece",),
    "Jayden": ("Jaden",),
    "Kayleigh": ("Kayley", "Kaylee"),
    "Zainab": ("Zaynab",),
    "Maryam": ("Mariam",),
    "Mariam": ("Maryam",),
}

_KEYBOARD_NEIGHBOURS = {
    "a": "sqz",
    "b": "vnh",
    "c": "xvd",
    "d": "sfe",
    "e": "wrd",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "i": "uok",
    "j": "hku",
    "k": "jli",
    "l": "kop",
    "m": "nj",
    "n": "bmh",
    "o": "ipl",
    "p": "ol",
    "q": "wa",
    "r": "etf",
    "s": "adw",
    "t": "ryg",
    "u": "yij",
    "v": "cbf",
    "w": "qes",
    "x": "zcs",
    "y": "tuh",
    "z": "xa",
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
        return name[:i] + new + name[i + 1 :]
    if op < 0.75 and len(name) > 3:
        return name[:i] + name[i + 1 :]
    return name[:i] + ch.lower() + name[i:]
