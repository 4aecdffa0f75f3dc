"""Small hand-made vocabularies: accents, nicknames, transliterations, USPS forms.

These are the tables no maintained package provides (the `nicknames` package
is English only; see ``shared/reference/generators.md`` §4).  English
nicknames come from the `nicknames` package.
"""

from __future__ import annotations

from functools import lru_cache

# Native spellings of names that Census tables store in ASCII.  Applied to
# Hispanic- and Vietnamese-origin people, whose true names carry the accents.
ACCENTED = {
    # surnames
    "MUNOZ": "MUÑOZ", "NUNEZ": "NÚÑEZ", "IBANEZ": "IBÁÑEZ", "PENA": "PEÑA", "ONATE": "OÑATE",
    "GONZALEZ": "GONZÁLEZ", "RODRIGUEZ": "RODRÍGUEZ", "HERNANDEZ": "HERNÁNDEZ",
    "MARTINEZ": "MARTÍNEZ", "LOPEZ": "LÓPEZ", "PEREZ": "PÉREZ", "SANCHEZ": "SÁNCHEZ",
    "RAMIREZ": "RAMÍREZ", "GOMEZ": "GÓMEZ", "DIAZ": "DÍAZ", "ALVAREZ": "ÁLVAREZ",
    "JIMENEZ": "JIMÉNEZ", "VAZQUEZ": "VÁZQUEZ", "VASQUEZ": "VÁSQUEZ", "GUTIERREZ": "GUTIÉRREZ",
    "FERNANDEZ": "FERNÁNDEZ", "MENDEZ": "MÉNDEZ", "DOMINGUEZ": "DOMÍNGUEZ", "SUAREZ": "SUÁREZ",
    "CHAVEZ": "CHÁVEZ", "RAMOS": "RAMOS", "NUNES": "NUNES", "GARCIA": "GARCÍA",
    "MARQUEZ": "MÁRQUEZ", "BENITEZ": "BENÍTEZ", "VELAZQUEZ": "VELÁZQUEZ", "RIOS": "RÍOS",
    "CORDOVA": "CÓRDOVA", "LEON": "LEÓN", "CHACON": "CHACÓN", "GALVAN": "GALVÁN",
    "NGUYEN": "NGUYỄN", "TRAN": "TRẦN", "LE": "LÊ", "PHAM": "PHẠM", "HOANG": "HOÀNG",
    "VU": "VŨ", "DANG": "ĐẶNG", "BUI": "BÙI", "DO": "ĐỖ", "HO": "HỒ", "NGO": "NGÔ", "DUONG": "DƯƠNG",
    # given names
    "JOSE": "JOSÉ", "MARIA": "MARÍA", "JESUS": "JESÚS", "RAMON": "RAMÓN", "ANGEL": "ÁNGEL",
    "JULIAN": "JULIÁN", "SEBASTIAN": "SEBASTIÁN", "ADRIAN": "ADRIÁN", "HECTOR": "HÉCTOR",
    "OSCAR": "ÓSCAR", "RAUL": "RAÚL", "MARTIN": "MARTÍN", "CESAR": "CÉSAR", "ANDRES": "ANDRÉS",
    "JOAQUIN": "JOAQUÍN", "GERMAN": "GERMÁN", "RUBEN": "RUBÉN", "ROCIO": "ROCÍO",
    "SOFIA": "SOFÍA", "LUCIA": "LUCÍA", "MONICA": "MÓNICA", "VERONICA": "VERÓNICA",
    "ANGELICA": "ANGÉLICA", "CONCEPCION": "CONCEPCIÓN", "ASUNCION": "ASUNCIÓN", "INES": "INÉS",
    "BELEN": "BELÉN", "SIMON": "SIMÓN", "NICOLAS": "NICOLÁS", "TOMAS": "TOMÁS", "ELIAS": "ELÍAS",
    "MATIAS": "MATÍAS", "ISAIAS": "ISAÍAS", "EFRAIN": "EFRAÍN", "ROSALIA": "ROSALÍA",
}

# Spanish given-name nicknames (generators.md §4 row 6) and common anglicisations
# (Tax Policy Center: "Juan" vs "John").
SPANISH_NICKNAMES = {
    "FRANCISCO": ("PACO", "PANCHO", "FRANK"), "JESUS": ("CHUY",), "JOSE": ("PEPE", "JOE"),
    "IGNACIO": ("NACHO",), "DOLORES": ("LOLA",), "CONCEPCION": ("CONCHA", "CONCHITA"),
    "ROSARIO": ("CHARO",), "CONSUELO": ("CHELO",), "GUADALUPE": ("LUPE", "LUPITA"),
    "ALEJANDRO": ("ALEX", "ALEJO"), "ROBERTO": ("BETO", "ROBERT"), "ALBERTO": ("BETO",),
    "EDUARDO": ("LALO", "EDDIE"), "GUILLERMO": ("MEMO", "WILLIAM"), "ENRIQUE": ("QUIQUE", "HENRY"),
    "MANUEL": ("MANOLO", "MANNY"), "ANTONIO": ("TOÑO", "TONY"), "JUAN": ("JOHN", "JUANITO"),
    "PEDRO": ("PETER",), "MIGUEL": ("MIKE",), "RAFAEL": ("RAFA",), "GUADALUPE_M": ("LUPE",),
    "ELIZABETH": ("ELI", "LIZ"), "REFUGIO": ("CUCO", "CUCA"), "ISABEL": ("CHABELA",),
    "SALVADOR": ("CHAVA",), "SANTIAGO": ("CHAGO",), "ROSA": ("CHAYO",), "ANA": ("ANITA",),
    "CARLOS": ("CHARLIE",), "DANIEL": ("DANNY",), "RICARDO": ("RICKY", "RICHARD"),
}

# Romanisation and spelling variants (generators.md §4 row 4).
TRANSLITERATION_GROUPS = (
    ("ZHANG", "CHANG", "CHEUNG"), ("XU", "HSU", "HUI"), ("WANG", "WONG"), ("CHEN", "CHAN"),
    ("LIU", "LAU"), ("ZHOU", "CHOU", "CHOW"), ("HUANG", "WONG", "HWANG"), ("LI", "LEE", "LEI"),
    ("ZHAO", "CHAO", "CHIU"), ("WU", "NG", "WOO"), ("YANG", "YEUNG", "YOUNG"), ("LIN", "LAM"),
    ("LEE", "YI", "RHEE"), ("PARK", "PAK", "BAK"), ("CHOI", "CHOE"), ("KIM", "GIM"),
    ("JUNG", "CHUNG", "JEONG"), ("KANG", "GANG"), ("CHO", "JO"), ("SHIN", "SIN"),
    ("MOHAMMED", "MUHAMMAD", "MOHAMED", "MOHAMMAD"), ("AHMED", "AHMAD"), ("HUSSEIN", "HUSSAIN", "HUSEIN"),
    ("NGUYEN", "NGUYEN", "NGUEN"), ("PHAM", "PHAN"), ("HUYNH", "HUINH"),
    ("YUSUF", "YOUSEF", "YOUSSEF"), ("ABDULLAH", "ABDALLA"), ("OMAR", "UMAR"),
)

# USPS Publication 28 standard abbreviations for the forms the generator writes.
STREET_TYPES = {
    "STREET": "ST", "AVENUE": "AVE", "BOULEVARD": "BLVD", "DRIVE": "DR", "ROAD": "RD",
    "LANE": "LN", "COURT": "CT", "PLACE": "PL", "WAY": "WAY", "CIRCLE": "CIR",
    "TERRACE": "TER", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "TRAIL": "TRL",
}
DIRECTIONALS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W"}
STREET_TYPE_WEIGHTS = {
    "STREET": 0.30, "AVENUE": 0.22, "DRIVE": 0.12, "ROAD": 0.08, "LANE": 0.06, "BOULEVARD": 0.05,
    "COURT": 0.05, "PLACE": 0.04, "WAY": 0.03, "CIRCLE": 0.02, "TERRACE": 0.01,
    "PARKWAY": 0.01, "HIGHWAY": 0.005, "TRAIL": 0.005,
}
STREET_BASE_NAMES = (
    "MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LAKE", "HILL", "PARK",
    "LINCOLN", "JEFFERSON", "MADISON", "FRANKLIN", "JACKSON", "WILLOW", "CHESTNUT", "WALNUT",
    "SUNSET", "RIVERSIDE", "CHURCH", "MILL", "SPRING", "CENTRAL", "BROADWAY", "HIGHLAND",
    "VALLEY", "MEADOW", "FOREST", "RIDGE", "GRANT", "ADAMS", "MONROE", "WILSON", "UNION",
    "MARKET", "WATER", "BRIDGE", "CHERRY", "HICKORY", "MAGNOLIA", "PALM", "ALAMEDA",
    "SAN PEDRO", "SANTA ROSA", "LAS PALMAS", "EL CAMINO", "MISSION", "ALVARADO", "CESAR CHAVEZ",
    "VERMONT", "FIGUEROA", "PACIFIC", "ATLANTIC", "COLUMBIA", "HARBOR", "INDUSTRIAL",
    "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH",
    "1ST", "2ND", "3RD", "4TH", "5TH", "6TH", "7TH", "8TH", "9TH", "10TH", "11TH", "12TH",
    "14TH", "16TH", "18TH", "20TH", "23RD", "28TH", "32ND", "41ST", "54TH", "103RD",
    "ROSEWOOD", "BIRCH", "SYCAMORE", "JUNIPER", "ASPEN", "DOGWOOD", "LAUREL", "CYPRESS",
    "KING", "QUEEN", "PRINCE", "STATE", "COLLEGE", "SCHOOL", "STATION", "DEPOT", "GARDEN",
    "ORCHARD", "VINE", "GRAPE", "OLIVE", "LEMON", "ORANGE", "LIME", "ROSE", "LILY", "IRIS",
)

# Keyboard neighbours (QWERTY) for typos.
_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


@lru_cache(maxsize=1)
def keyboard_neighbours() -> dict[str, str]:
    """Return a map from each letter to the letters next to it on a QWERTY keyboard."""
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            near = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if 0 <= rr < len(_ROWS):
                    for dc in (-1, 0, 1):
                        cc = c + dc
                        if (dr or dc) and 0 <= cc < len(_ROWS[rr]):
                            near.append(_ROWS[rr][cc])
            out[ch] = "".join(near)
    return out


# OCR confusions (FEBRL/GeCo style) and phonetic substitutions common in
# Spanish/English transcription (generators.md §4 rows 15 and 3).
OCR_PAIRS = (
    ("M", "RN"), ("RN", "M"), ("W", "VV"), ("D", "CL"), ("I", "L"), ("L", "I"), ("O", "Q"),
    ("E", "F"), ("H", "B"), ("B", "8"), ("S", "5"), ("G", "6"), ("Z", "2"), ("U", "V"), ("N", "H"),
)
PHONETIC_PAIRS = (
    ("Z", "S"), ("S", "Z"), ("V", "B"), ("B", "V"), ("LL", "Y"), ("Y", "LL"), ("CE", "SE"),
    ("CI", "SI"), ("QU", "K"), ("GUE", "GE"), ("J", "H"), ("H", ""), ("PH", "F"), ("CK", "K"),
    ("X", "J"), ("EI", "EY"), ("Y", "I"), ("OU", "U"), ("GUA", "WA"), ("TH", "T"),
)
