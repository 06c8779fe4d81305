"""Hand-written vocabularies for the golden set and the synthetic corpus: common names of many cultures, company
words and legal forms, keyboard neighbours, transliteration variants. Written for this project, not taken from
any sanctions list, so negatives built from them are ordinary names (collisions are still checked and dropped).
"""

from __future__ import annotations

# Data tables: kept dense on purpose (one line per row of names), so the formatter leaves them alone.
# fmt: off
# Common given and family names per culture. Order within a culture follows its usual written order:
# "given family" unless noted (Chinese and Korean put the family name first; Spanish uses two family names,
# Russian adds a patronymic, Arabic a father's name and an "al-" family or tribal name). Male given names fill
# the first half of each given-name tuple and female ones the second (Chinese given names are mostly unisex).
GIVEN: dict[str, tuple[str, ...]] = {
    "english": (
        "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
        "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin",
        "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
        "Emily", "Hannah", "Olivia", "Rebecca", "Laura", "Rachel", "Megan", "Charlotte", "Amelia", "Lucy",
    ),
    "spanish": (
        "Alejandro", "Pablo", "Diego", "Javier", "Sergio", "Adrián", "Álvaro", "Rubén", "Iván", "Hugo",
        "Gonzalo", "Ignacio", "Marcos", "Raúl", "Andrés", "Mateo", "Santiago", "Emilio", "Esteban", "Felipe",
        "Lucía", "Sofía", "Martina", "Paula", "Valeria", "Daniela", "Carmen", "Elena", "Isabel", "Pilar",
        "Rocío", "Beatriz", "Marta", "Alba", "Nuria", "Inés", "Claudia", "Ximena", "Camila", "Valentina",
    ),
    "arabic": (
        "Omar", "Khalil", "Tariq", "Samir", "Nabil", "Walid", "Yasser", "Fadi", "Rami", "Bassam",
        "Ziad", "Marwan", "Hisham", "Imad", "Kamal", "Nizar", "Raed", "Wael", "Ayman", "Jamil",
        "Layla", "Fatima", "Aisha", "Mariam", "Noor", "Salma", "Huda", "Rania", "Dina", "Yasmin",
        "Hiba", "Lina", "Reem", "Samira", "Nadia", "Amal", "Maha", "Soha", "Ghada", "Leila",
    ),
    "russian": (
        "Artem", "Maksim", "Kirill", "Denis", "Roman", "Anton", "Stanislav", "Egor", "Gleb", "Timofey",
        "Vsevolod", "Lev", "Yaroslav", "Matvey", "Arseniy", "Savva", "Danila", "Rostislav", "Zakhar", "Fedot",
        "Anastasiya", "Daria", "Polina", "Kseniya", "Alina", "Vera", "Ulyana", "Varvara", "Yuliya", "Zlata",
        "Milana", "Vasilisa", "Arina", "Taisiya", "Yesenia", "Lyubov", "Nadezhda", "Margarita", "Alisa", "Sofiya",
    ),
    "chinese": (
        "Wei", "Fang", "Min", "Jing", "Lei", "Yang", "Jun", "Hui", "Ping", "Qiang",
        "Xiu Ying", "Gui Lan", "Hai Yan", "Xiao Ming", "Jian Guo", "Zhi Qiang", "Li Na", "Ya Ting", "Hong Mei",
        "Chun Hua", "Yu Xuan", "Zi Han", "Hao Ran", "Yi Nuo", "Shu Fen", "Mei Ling", "Jia Hao", "Rui", "Kai", "Bo",
    ),
    "indian": (
        "Aarav", "Vivaan", "Aditya", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan", "Rohan", "Rahul",
        "Amit", "Sanjay", "Vikram", "Rajesh", "Suresh", "Anil", "Deepak", "Manoj", "Pradeep", "Nikhil",
        "Priya", "Ananya", "Diya", "Kavya", "Aditi", "Pooja", "Neha", "Sneha", "Anjali", "Lakshmi",
        "Meera", "Shreya", "Divya", "Swati", "Nisha", "Sunita", "Geeta", "Radha", "Kiran", "Asha",
    ),
    "persian": (
        "Dariush", "Kourosh", "Arash", "Babak", "Behnam", "Farhad", "Kaveh", "Omid", "Payam", "Ramin",
        "Shahram", "Siavash", "Vahid", "Pouya", "Navid", "Kamran", "Mehrdad", "Nima", "Parviz", "Sina",
        "Shirin", "Parisa", "Nasrin", "Golnaz", "Mahsa", "Nazanin", "Roya", "Sepideh", "Taraneh", "Yasaman",
        "Azadeh", "Bahar", "Farnaz", "Mitra", "Negin", "Pegah", "Setareh", "Ziba", "Laleh", "Mina",
    ),
    "turkish": (
        "Emre", "Burak", "Mert", "Can", "Oğuz", "Kaan", "Serkan", "Volkan", "Tolga", "Barış",
        "Cem", "Onur", "Umut", "Tuncay", "Selçuk", "Gökhan", "Levent", "Erdem", "Berk", "Arda",
        "Elif", "Zeynep", "Ayşe", "Esra", "Merve", "Büşra", "Derya", "Gizem", "Ebru", "Selin",
        "Tuğba", "Özlem", "Pınar", "Sibel", "Dilek", "Gül", "Nazlı", "Ceren", "İpek", "Melis",
    ),
    "african": (
        "Chinedu", "Oluwaseun", "Babatunde", "Kwame", "Kofi", "Kwabena", "Tendai", "Tafadzwa", "Sipho", "Thabo",
        "Jabulani", "Themba", "Mandla", "Baraka", "Juma", "Emeka", "Ikenna", "Chukwuemeka", "Olumide", "Femi",
        "Ngozi", "Chiamaka", "Adaeze", "Folake", "Yetunde", "Abena", "Akosua", "Nomvula", "Thandiwe", "Zanele",
        "Wanjiru", "Njeri", "Achieng", "Nyambura", "Amara", "Ife", "Kemi", "Nneka", "Lindiwe", "Rudo",
    ),
    "german": (
        "Lukas", "Jonas", "Leon", "Finn", "Felix", "Maximilian", "Tobias", "Florian", "Jan", "Niklas",
        "Stefan", "Jürgen", "Uwe", "Dieter", "Klaus", "Wolfgang", "Matthias", "Sebastian", "Markus", "Bernd",
        "Lena", "Lea", "Anna", "Laura", "Katharina", "Julia", "Sabine", "Petra", "Ursula", "Monika",
        "Jana", "Franziska", "Johanna", "Birgit", "Heike", "Anke", "Svenja", "Greta", "Frieda", "Ilse",
    ),
    "french": (
        "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Théo", "Raphaël", "Mathis", "Nathan", "Clément",
        "Julien", "Nicolas", "Sébastien", "Guillaume", "Jérémy", "Romain", "Mathieu", "Olivier", "Thierry", "Benoît",
        "Camille", "Chloé", "Léa", "Manon", "Inès", "Juliette", "Margaux", "Océane", "Élodie", "Aurélie",
        "Céline", "Nathalie", "Sandrine", "Stéphanie", "Valérie", "Sylvie", "Isabelle", "Émilie", "Mélanie", "Agnès",
    ),
    "korean": (
        "Min-jun", "Seo-jun", "Do-yun", "Ye-jun", "Si-woo", "Ha-joon", "Ji-ho", "Joon-woo", "Hyun-woo", "Jae-won",
        "Sung-min", "Dong-hyun", "Tae-yang", "Woo-jin", "Seung-ho", "Kyung-soo", "Jin-young", "Sang-woo", "Young-ho",
        "Byung-hun", "Seo-yeon", "Ha-eun", "Ji-woo", "Seo-yun", "Min-seo", "Soo-ah", "Ji-yoo", "Chae-won", "Yoon-seo",
        "Da-eun", "Eun-ji", "Hye-jin", "Su-bin", "Yu-na", "Na-yeon", "So-yeon", "Mi-rae", "Hee-jin", "Bo-ra",
        "Ye-rin",
    ),
}

FAMILY: dict[str, tuple[str, ...]] = {
    "english": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Moore", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
        "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
    ),
    "spanish": (
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín",
        "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez", "Muñoz", "Romero", "Alonso", "Gutiérrez",
        "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Blanco", "Molina", "Morales",
        "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Iglesias", "Medina",
    ),
    "arabic": (
        "Haddad", "Khoury", "Nassar", "Saleh", "Mansour", "Hamdan", "Aziz", "Darwish", "Qasem", "Barakat",
        "Shaheen", "Sabbagh", "Awad", "Jaber", "Halabi", "Masri", "Tamimi", "Najjar", "Farah", "Yousef",
        "Khalifa", "Zaher", "Bitar", "Chami", "Daher", "Ghanem", "Hakim", "Issa", "Karam", "Maalouf",
    ),
    "russian": (
        "Smirnov", "Kuznetsov", "Popov", "Vasilyev", "Sokolov", "Mikhailov", "Novikov", "Fedorov", "Morozov",
        "Volkov", "Alekseev", "Lebedev", "Semenov", "Egorov", "Pavlov", "Kozlov", "Stepanov", "Nikolaev", "Orlov",
        "Andreev", "Makarov", "Nikitin", "Zakharov", "Zaitsev", "Solovyov", "Borisov", "Yakovlev", "Grigoryev",
        "Romanov", "Vorobyov", "Sergeev", "Kuzmin", "Frolov", "Aleksandrov", "Dmitriev", "Korolev", "Gusev",
        "Kiselev", "Ilyin", "Maksimov",
    ),
    "chinese": (
        "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
        "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao",
        "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng",
    ),
    "indian": (
        "Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Shah", "Mehta", "Joshi", "Desai",
        "Reddy", "Rao", "Nair", "Menon", "Iyer", "Pillai", "Chatterjee", "Banerjee", "Mukherjee", "Das",
        "Bose", "Sen", "Kapoor", "Malhotra", "Chopra", "Agarwal", "Bhat", "Kulkarni", "Patil", "Jain",
    ),
    "persian": (
        "Ahmadi", "Mohammadi", "Hosseini", "Rezaei", "Moradi", "Karimi", "Jafari", "Rahimi", "Hashemi", "Sadeghi",
        "Ghorbani", "Rostami", "Kazemi", "Mousavi", "Tehrani", "Shirazi", "Esfahani", "Najafi", "Akbari", "Amini",
        "Bagheri", "Farahani", "Golzari", "Heidari", "Jalali", "Khosravi", "Mahmoudi", "Nouri", "Parsa", "Yazdani",
    ),
    "turkish": (
        "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir",
        "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan", "Şimşek",
        "Polat", "Erdoğan", "Güneş", "Aksoy", "Korkmaz", "Bulut", "Keskin", "Ünal", "Tekin", "Karaca",
    ),
    "african": (
        "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Boateng", "Owusu", "Asante", "Nkosi", "Dlamini", "Ndlovu",
        "Moyo", "Mokoena", "Khumalo", "Mwangi", "Otieno", "Kamau", "Wanjiku", "Njoroge", "Balogun", "Eze",
        "Nwosu", "Adebayo", "Ogunleye", "Achebe", "Mutasa", "Chikwanha", "Sithole", "Banda", "Phiri", "Tembo",
    ),
    "german": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann",
    ),
    "french": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    ),
    "korean": (
        "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim",
        "Han", "Oh", "Seo", "Shin", "Kwon", "Hwang", "Ahn", "Song", "Jeon", "Hong",
        "Yoo", "Ko", "Moon", "Yang", "Son", "Bae", "Baek", "Heo", "Nam", "Noh",
    ),
}

# French compound given names ("Jean-Pierre").
FRENCH_COMPOUND: tuple[str, ...] = (
    "Jean-Pierre", "Jean-Luc", "Jean-Marc", "Pierre-Yves", "Jean-Baptiste", "Marie-Claire", "Anne-Sophie",
    "Marie-Laure", "Jean-François", "Marie-Hélène",
)

# Patronymic stems for Russian-style names ("Ivanovich" / "Ivanovna").
PATRONYMIC_STEMS: tuple[str, ...] = (
    "Ivanov", "Petrov", "Sergeev", "Nikolaev", "Andreev", "Alekseev", "Vladimirov", "Mikhailov", "Pavlov",
    "Viktorov", "Borisov", "Yurev", "Olegov", "Igorev", "Gennadev", "Anatolev", "Valerev", "Stepanov",
)

# Arabic-style elements for the synthetic corpus (lists write "Given bin Father al-Family").
ARABIC_GIVEN: tuple[str, ...] = (
    "Abdullah", "Ahmad", "Ali", "Hamza", "Hassan", "Ibrahim", "Ismail", "Jamal", "Khalid", "Mahmud",
    "Muhammad", "Mustafa", "Nasir", "Rashid", "Said", "Salim", "Sulayman", "Tariq", "Umar", "Yusuf",
    "Abd al-Rahman", "Abd al-Aziz", "Abd al-Karim", "Abu Bakr", "Zayd", "Bilal", "Anas", "Hamad", "Faisal", "Badr",
)
ARABIC_FAMILY: tuple[str, ...] = (
    "al-Harbi", "al-Qahtani", "al-Shammari", "al-Dosari", "al-Mutairi", "al-Otaibi", "al-Ghamdi", "al-Zahrani",
    "al-Anazi", "al-Subaie", "al-Tamimi", "al-Baghdadi", "al-Masri", "al-Yamani", "al-Libi", "al-Sudani",
    "al-Janabi", "al-Dulaimi", "al-Jubouri", "al-Obeidi", "al-Kubaisi", "al-Rawi", "al-Hashimi", "al-Saadi",
)

# Company vocabulary for negatives and the synthetic corpus.
COMPANY_ADJ: tuple[str, ...] = (
    "Northern", "Southern", "Eastern", "Western", "Global", "United", "Pacific", "Atlantic", "Central", "Royal",
    "Golden", "Silver", "Blue", "Green", "Red", "Bright", "Prime", "First", "Grand", "Premier",
    "Summit", "Pioneer", "Horizon", "Coastal", "Alpine", "Evergreen", "Liberty", "Heritage", "Crescent", "Sterling",
)
COMPANY_NOUN: tuple[str, ...] = (
    "Star", "River", "Bridge", "Harbor", "Valley", "Oak", "Maple", "Falcon", "Eagle", "Lion",
    "Anchor", "Compass", "Beacon", "Summit", "Meadow", "Stone", "Ridge", "Crown", "Pearl", "Cedar",
    "Arrow", "Phoenix", "Orchid", "Lotus", "Delta", "Vista", "Harvest", "Keystone", "Lighthouse", "Wave",
)
COMPANY_TRADE: tuple[str, ...] = (
    "Logistics", "Trading", "Trade", "Holdings", "Industries", "Technologies", "Solutions", "Consulting",
    "Foods", "Textiles", "Pharmaceuticals", "Construction", "Engineering", "Energy", "Minerals", "Electronics",
    "Software", "Insurance", "Properties", "Investments", "Capital", "Partners", "Services", "Supplies",
    "Packaging", "Furniture", "Marine Services", "Freight", "Motors", "Agro", "Medical", "Plastics",
)
# Legal forms by style; the golden set swaps them for equivalents and the corpus attaches them.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "anglo": ("LLC", "Ltd", "Limited", "Inc.", "Corp.", "Co. Ltd", "PLC", "LLP", "Company"),
    "russian": ("OOO", "AO", "OAO", "ZAO", "PAO", "JSC", "LLC", "Joint Stock Company", "Limited Liability Company"),
    "european": ("GmbH", "AG", "S.A.", "S.A.R.L.", "SRL", "B.V.", "N.V.", "S.p.A.", "SAS"),
    "gulf": ("FZE", "FZCO", "FZ-LLC", "LLC", "L.L.C."),
    "asian": ("Co., Ltd.", "Pte. Ltd.", "Sdn. Bhd.", "Limited", "Company Limited"),
}
# Groups of legal forms that mean the same thing; the first of each group is the short form.
LEGAL_EQUIVALENTS: tuple[tuple[str, ...], ...] = (
    ("LLC", "L.L.C.", "Limited Liability Company", "OOO", "TOO", "Obshchestvo s Ogranichennoi Otvetstvennostyu"),
    ("JSC", "Joint Stock Company", "AO", "OAO", "Open Joint Stock Company", "OJSC", "Aktsionernoe Obshchestvo",
     "Otkrytoe Aktsionernoe Obshchestvo"),
    ("CJSC", "Closed Joint Stock Company", "ZAO", "Zakrytoe Aktsionernoe Obshchestvo"),
    ("PJSC", "Public Joint Stock Company", "PAO", "Publichnoe Aktsionernoe Obshchestvo"),
    ("Ltd", "Ltd.", "Limited"),
    ("Co.", "Co", "Company"),
    ("Co. Ltd", "Co., Ltd.", "Company Limited"),
    ("Corp.", "Corp", "Corporation"),
    ("Inc.", "Inc", "Incorporated"),
    ("S.A.", "SA", "Sociedad Anonima", "Societe Anonyme"),
    ("GmbH", "Gesellschaft mit beschrankter Haftung"),
    ("FZE", "Free Zone Establishment"),
    ("FZCO", "Free Zone Company"),
    ("PLC", "Public Limited Company"),
    ("Pte. Ltd.", "Pte Ltd", "Private Limited"),
    ("SAS", "S.A.S."),
    ("SRL", "S.R.L."),
    ("SARL", "S.A.R.L."),
    ("AG", "Aktiengesellschaft"),
    ("BV", "B.V."),
    ("NV", "N.V."),
    ("SpA", "S.p.A."),
    ("Sp. z o.o.", "Sp z oo"),
    ("LLP", "Limited Liability Partnership"),
    ("Sdn. Bhd.", "Sdn Bhd"),
    ("FZ-LLC", "FZ LLC"),
    ("OOD", "EOOD"),
    ("A.S.", "AS"),
    ("LDA", "Limitada"),
)

# Airline and shipping names that read like real operators but are made up (checked against the lists).
AIRLINE_WORDS: tuple[str, ...] = (
    "Skyline", "Blue Horizon", "Coral", "Silverwing", "Northwind", "Sunrise", "Aurora", "Meridian", "Zephyr",
    "Condor Bay", "Atlas Coast", "Savanna", "Highland", "Lagoon", "Cloudline", "Tradewind", "Orion", "Kestrel",
)
AIRLINE_SUFFIX: tuple[str, ...] = ("Airlines", "Airways", "Air", "Aviation", "Air Cargo", "Air Charter", "Jet")
SHIP_PREFIX: tuple[str, ...] = ("MV", "MT", "M/V", "SS", "")
SHIP_WORDS: tuple[str, ...] = (
    "Ocean Breeze", "Nordic Spirit", "Sea Harmony", "Coral Queen", "Baltic Trader", "Cape Fortune", "Morning Glory",
    "Southern Cross", "Blue Marlin", "Atlantic Dawn", "Pacific Pioneer", "Silver Tide", "Golden Gate Carrier",
    "Island Princess", "Stella Maris", "Aegean Wind", "Polar Bear", "Emerald Bay", "Lady Grace", "Harbour Light",
)
SHIPPING_SUFFIX: tuple[str, ...] = ("Shipping", "Maritime", "Navigation", "Shipmanagement", "Tankers", "Lines")

# Vessel names in the lists' style for the synthetic corpus.
VESSEL_WORDS: tuple[str, ...] = (
    "STAR", "OCEAN", "SEA", "PRINCESS", "GLORY", "FORTUNE", "SPIRIT", "PEARL", "HOPE", "VICTORY",
    "LIBERTY", "CRYSTAL", "DIAMOND", "EAGLE", "FALCON", "NOVA", "ORIENT", "CASPIAN", "ADRIATIC", "HORIZON",
    "SAPPHIRE", "TITAN", "NEPTUNE", "POSEIDON", "AURORA", "ZENITH", "DESTINY", "HARMONY", "LEGEND", "MAJESTY",
)

# Aircraft nationality marks (ICAO Annex 7) with the style of the rest of the mark.
TAIL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("RA", "digits5"), ("EP", "letters3"), ("EK", "digits5"), ("UP", "alnum5"), ("YK", "letters3"),
    ("EW", "digits5"), ("UR", "letters3"), ("4L", "letters3"), ("YI", "letters3"), ("9K", "letters3"),
    ("A6", "letters3"), ("TC", "letters3"), ("EX", "digits5"), ("UK", "digits5"), ("VP-B", "letters2"),
    ("N", "n_number"), ("P4", "letters3"), ("EY", "digits5"), ("ST", "letters3"), ("5A", "letters3"),
)

# QWERTY neighbours, for realistic substitution and insertion typos.
KEYBOARD: dict[str, str] = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj", "i": "uojk",
    "o": "ipkl", "p": "ol", "a": "qwsz", "s": "weadzx", "d": "erfsxc", "f": "rtdgcv", "g": "tyfhvb",
    "h": "yugjbn", "j": "uihknm", "k": "iojlm", "l": "opk", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb",
    "b": "vghn", "n": "bhjm", "m": "njk",
}

# Latin transliteration variants met in real screening. Whole-token groups: any member may be written as any other.
TRANSLIT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("muhammad", "mohammed", "mohamed", "mohammad", "muhammed", "mohamad", "mohamud", "mehmet"),
    ("ahmad", "ahmed", "akhmed", "achmed"),
    ("husayn", "hussein", "hussain", "husain", "hossein", "husein"),
    ("hasan", "hassan"),
    ("usama", "osama", "oussama"),
    ("umar", "omar", "omer"),
    ("yusuf", "yousef", "youssef", "yusef", "yousuf", "yussuf"),
    ("abdullah", "abdallah", "abdulla"),
    ("khalid", "khaled", "halid"),
    ("said", "saeed", "saied", "sayed"),
    ("mustafa", "mostafa", "moustafa"),
    ("mahmud", "mahmoud", "mahmood"),
    ("qasim", "qassem", "kasim", "qassim", "ghasem"),
    ("jafar", "jaafar", "djafar"),
    ("abu", "abou"),
    ("nasir", "nasser", "naser", "nassir"),
    ("rahman", "rehman"),
    ("karim", "kareem"),
    ("rashid", "rasheed", "rachid"),
    ("hamid", "hameed"),
    ("majid", "majeed", "madjid"),
    ("aziz", "azeez"),
    ("salim", "saleem", "selim"),
    ("sulayman", "suleiman", "sulaiman", "soleiman", "suleyman"),
    ("ibrahim", "ebrahim", "ibraheem"),
    ("ismail", "ismael", "esmail"),
    ("ali", "aly"),
    ("yevgeniy", "yevgeny", "evgeny", "evgeni", "evgenii", "eugene"),
    ("aleksandr", "alexander", "aleksander", "alexandr", "oleksandr"),
    ("sergey", "sergei", "sergej", "serguei", "sergiy"),
    ("dmitriy", "dmitry", "dmitri", "dmitrii"),
    ("yuriy", "yuri", "yury", "iurii", "jurij"),
    ("andrey", "andrei", "andrej"),
    ("aleksey", "alexei", "alexey", "aleksei", "alexej"),
    ("nikolay", "nikolai"),
    ("mikhail", "mihail", "michail"),
    ("vyacheslav", "viacheslav"),
    ("yelena", "elena", "jelena"),
    ("yekaterina", "ekaterina"),
    ("tatyana", "tatiana"),
    ("natalya", "natalia", "natalja"),
    ("pyotr", "petr", "piotr"),
    ("fyodor", "fedor", "fiodor"),
    ("ilya", "ilia"),
    ("valeriy", "valery", "valerii"),
    ("gennadiy", "gennady", "gennadii"),
    ("anatoliy", "anatoly", "anatolii"),
    ("vitaliy", "vitaly", "vitalii"),
    ("grigoriy", "grigory", "grigorii"),
    ("vladimir", "wladimir"),
    ("viktor", "victor"),
    ("konstantin", "constantin"),
    ("kim", "gim"),
    ("jong", "chong"),
    ("bin", "ben"),
)

# The same given name across languages (Mikhail = Michael). Not spelling variants, so the golden set never
# writes one for the other; but a "hard negative" must not pair a listed surname with the equivalent given name.
NAME_EQUIVALENTS: tuple[tuple[str, ...], ...] = (
    ("mikhail", "michael", "michel", "miguel", "mikael", "mihail", "mykhailo"),
    ("aleksandr", "alexander", "alejandro", "alessandro", "alexandre", "oleksandr", "sasha"),
    ("pavel", "paul", "pablo", "paolo", "pavlo"),
    ("pyotr", "peter", "pedro", "pierre", "petr", "piotr", "petro"),
    ("nikolay", "nicholas", "nicolas", "nikolaos", "mykola", "nicola"),
    ("andrey", "andrew", "andres", "andreas", "andre", "andriy"),
    ("sergey", "serge", "sergio", "serhiy"),
    ("georgiy", "george", "jorge", "georges", "giorgi", "yuriy", "yuri", "egor", "yegor"),
    ("fyodor", "theodore", "fedor", "teodoro"),
    ("yakov", "jacob", "jakub", "jacques", "yaakov", "yacoub", "yaqub"),
    ("grigoriy", "gregory", "gregorio", "grigory"),
    ("ivan", "john", "juan", "jean", "johann", "giovanni", "yahya", "ioann"),
    ("iosif", "joseph", "jose", "yusuf", "josef", "giuseppe", "youssef"),
    ("ibrahim", "abraham", "avraham"),
    ("musa", "moses", "moshe"),
    ("isa", "jesus"),
    ("sulayman", "solomon", "suleiman"),
    ("dawud", "david", "davud", "daoud"),
    ("yekaterina", "catherine", "katerina", "catalina", "caterina", "kateryna"),
    ("yelena", "helen", "helena", "elena", "olena"),
    ("mariya", "maria", "mary", "marie", "mariam", "maryam"),
    ("anna", "ann", "anne", "hanna", "hannah", "ana"),
    ("natalya", "natalie", "natalia"),
    ("viktor", "victor", "vittorio"),
    ("stepan", "stephen", "stefan", "esteban", "stephane"),
    ("konstantin", "constantine", "costantino"),
    ("vasiliy", "basil", "vasyl"),
    ("mattias", "matthew", "mateo", "matvey", "matthias"),
    ("lev", "leo", "leon", "levan"),
    ("filipp", "philip", "felipe", "philippe"),
)

# Sub-token rewrites (regex on the lower-cased token, replacement, culture): each changes the spelling, not the
# name. "ru" = romanised Russian/Ukrainian/Belarusian (GOST vs BGN/PCGN vs passport vs German/French styles),
# "ar" = romanised Arabic/Persian (English vs French vs scholarly habits).
TRANSLIT_RULES: tuple[tuple[str, str, str], ...] = (
    (r"iy$", "y", "ru"),
    (r"iy$", "ii", "ru"),
    (r"(?<=[bcdfghklmnprstvz])y$", "iy", "ru"),
    (r"yevich$", "evich", "ru"),
    (r"yevna$", "evna", "ru"),
    (r"(?<=[^y])evich$", "yevich", "ru"),
    (r"(?<=[aeiou])kh", "h", "ru"),
    (r"^kh", "h", "ar"),
    (r"kh", "ch", "ru"),
    (r"zh", "j", "ru"),
    (r"zh", "sh", "ru"),
    (r"dzh", "j", "ru"),
    (r"^ye", "e", "ru"),
    (r"^e(?=[bcdfgklmnprstvz])", "ye", "ru"),
    (r"ks", "x", "ru"),
    (r"x", "ks", "ru"),
    (r"^yu", "iu", "ru"),
    (r"^ya", "ia", "ru"),
    (r"ts", "tz", "ru"),
    (r"shch", "sch", "ru"),
    (r"ch", "tch", "ru"),
    (r"(?<=[aeiou])y(?=[aeiou])", "i", "ru"),
    (r"ei", "ey", "ru"),
    (r"ai", "ay", "ru"),
    (r"^v", "w", "ru"),
    (r"vich$", "witsch", "ru"),
    (r"ou", "u", "ar"),
    (r"(?<=[bcdfghklmnprstvz])u(?=[bcdfghklmnprstvz])", "ou", "ar"),
    (r"ee", "i", "ar"),
    (r"oo", "u", "ar"),
    (r"q", "k", "ar"),
    (r"^j", "dj", "ar"),
    (r"(?<=[aeiou])ss(?=[aeiou])", "s", "ar"),
    (r"(?<=[aeiou])s(?=[aeiou])", "ss", "ar"),
    (r"ai", "ay", "ar"),
    (r"ay", "ai", "ar"),
    (r"mm", "m", "ar"),
    (r"dd", "d", "ar"),
    (r"ll", "l", "ar"),
    (r"(?<=[bcdfghklmnprstvz])i(?=[bcdfghklmnprstvz])", "ee", "ar"),
    (r"(?<=[bcdfghklmnprstvz])e(?=[bcdfghklmnprstvz])", "a", "ar"),
    (r"^el(?=[a-z])", "al", "ar"),
    (r"^abd(?=[a-z])", "abdul", "ar"),
)

# Words that commonly carry diacritics, ASCII -> accented (Spanish, Portuguese, French, German, Turkish, ...).
ACCENTED: dict[str, str] = {
    "jose": "josé", "maria": "maría", "garcia": "garcía", "rodriguez": "rodríguez", "gonzalez": "gonzález",
    "hernandez": "hernández", "perez": "pérez", "martinez": "martínez", "sanchez": "sánchez", "lopez": "lópez",
    "ramirez": "ramírez", "gomez": "gómez", "diaz": "díaz", "jimenez": "jiménez", "alvarez": "álvarez",
    "fernandez": "fernández", "ramon": "ramón", "angel": "ángel", "ruben": "rubén", "simon": "simón",
    "andres": "andrés", "munoz": "muñoz", "nunez": "núñez", "pena": "peña", "bolivar": "bolívar",
    "joaquin": "joaquín", "hector": "héctor", "oscar": "óscar", "cesar": "césar", "tomas": "tomás",
    "nicolas": "nicolás", "sebastian": "sebastián", "martin": "martín", "adrian": "adrián", "dario": "darío",
    "raul": "raúl", "jesus": "jesús", "ines": "inés", "castano": "castaño", "patino": "patiño",
    "ordonez": "ordóñez", "ibanez": "ibáñez", "velasquez": "velásquez", "vasquez": "vásquez", "marquez": "márquez",
    "suarez": "suárez", "benitez": "benítez", "dominguez": "domínguez", "gutierrez": "gutiérrez",
    "velez": "vélez", "chavez": "chávez", "lucia": "lucía", "sofia": "sofía", "rocio": "rocío", "monica": "mónica",
    "veronica": "verónica", "angela": "ángela", "ivan": "iván", "efrain": "efraín", "german": "germán",
    "julian": "julián", "fabian": "fabián", "aristides": "arístides", "cardenas": "cárdenas", "leon": "león",
    "medellin": "medellín", "bogota": "bogotá", "mexico": "méxico", "peru": "perú", "panama": "panamá",
    "angulo": "ángulo", "avila": "ávila", "beltran": "beltrán", "calderon": "calderón",
    "colon": "colón", "guzman": "guzmán", "mendez": "méndez",
    "paez": "páez", "quinones": "quiñones", "rincon": "rincón", "tellez": "téllez",
    "valdes": "valdés", "francois": "françois", "helene": "hélène", "rene": "rené", "andre": "andré",
    "jerome": "jérôme", "societe": "société", "generale": "générale", "etienne": "étienne", "herve": "hervé",
    "muller": "müller", "schroder": "schröder", "kruger": "krüger", "gunther": "günther", "jurgen": "jürgen",
    "ozturk": "öztürk", "sahin": "şahin", "yilmaz": "yılmaz", "celik": "çelik", "gul": "gül",
    "ozdemir": "özdemir", "cakir": "çakır", "gunes": "güneş", "dogan": "doğan", "kilic": "kılıç",
    "erdogan": "erdoğan", "nguyen": "nguyễn", "lukasz": "łukasz", "walesa": "wałęsa",
    "joao": "joão", "goncalves": "gonçalves", "simoes": "simões", "antonio": "antônio", "assuncao": "assunção",
    "conceicao": "conceição", "araujo": "araújo", "sao": "são", "damiao": "damião", "fabio": "fábio",
    "marcio": "márcio", "flavio": "flávio", "otavio": "otávio", "lucio": "lúcio",
}

# Honorifics and particles that screening users add or drop in front of names.
HONORIFICS: tuple[str, ...] = ("Mr", "Mrs", "Dr.", "Sheikh", "Haji", "General", "Mullah", "Maulana")

# Latin (Russian-style romanisation) -> Cyrillic, longest match first, for Cyrillic queries of Latin entries.
LATIN_TO_CYRILLIC: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("sch", "щ"), ("yevich", "евич"), ("yevna", "евна"), ("iy", "ий"), ("yy", "ый"),
    ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"),
    ("yo", "ё"), ("ii", "ий"), ("ks", "кс"), ("x", "кс"), ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"),
    ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("f", "ф"), ("h", "х"), ("c", "к"), ("y", "ы"), ("q", "к"), ("'", "ь"),
)
# fmt: on

# --- development sets for the matcher issue (bench/make_golden.py, bench/pairs.py) ---------------------------------
# fmt: off
# Chinese family names in Hanyu Pinyin, the hundred or so most common ones (national household statistics).
PINYIN_SURNAMES: tuple[str, ...] = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
    "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng",
    "Zeng", "Xiao", "Tian", "Dong", "Yuan", "Pan", "Yu", "Jiang", "Cai", "Du", "Ye", "Cheng", "Wei", "Su", "Lu",
    "Ding", "Ren", "Shen", "Yao", "Jin", "Cui", "Fan", "Fang", "Shi", "Liao", "Zou", "Xiong", "Qiu", "Qin", "Jia",
    "Hou", "Xue", "Yan", "Duan", "Lei", "Long", "Tao", "Bai", "Mao", "Hao", "Kong", "Shao", "Meng", "Wan", "Gu",
    "Lai", "Qian", "Tan", "Wen", "Yin", "Chang", "Kang", "Niu", "Hong", "Mo", "Gong", "Xing", "Ou", "Qi", "Zhong",
)
# Syllables common in Chinese given names (written joined, spaced or hyphenated: "Xiuying", "Xiu Ying", "Xiu-ying").
PINYIN_GIVEN: tuple[str, ...] = (
    "wei", "fang", "min", "jing", "li", "na", "xiu", "ying", "hua", "jun", "lei", "yang", "yong", "jie", "tao",
    "ming", "chao", "hui", "ping", "gang", "hong", "yan", "qiang", "lin", "bo", "hao", "yu", "xin", "jian", "feng",
    "kai", "long", "tian", "xiao", "mei", "lan", "juan", "xia", "dan", "rui", "zhi", "wen", "bin", "hai", "bing",
    "guo", "qing", "jia", "yi", "chen", "zi", "han", "xuan", "ran", "nuo", "shu", "fen", "ling", "ting", "yun",
    "zhen", "shan", "peng", "fei", "cheng", "xiang", "dong", "kang", "liang", "song", "ning", "yuan", "rong",
    "huan", "qian", "lu", "le", "an", "ai", "bao", "chang", "chun", "cui", "de", "en", "fu", "gui", "he", "heng",
    "jin", "ju", "kun", "lian", "mao", "nan", "pei", "qi", "qin", "quan", "ru", "sen", "sheng", "shi", "shuang",
    "si", "tai", "teng", "wan", "wu", "xi", "xian", "xue", "ya", "yao", "ye", "yin", "you", "yue", "ze", "zhao",
    "zheng", "zhong", "zhou", "zhu", "hang", "meng", "jiao", "lie", "miao", "xing", "zhuo", "hou", "biao", "ke",
)
# Titles, ranks and forms of address in other languages, which people type in front of names.
FOREIGN_TITLES: tuple[str, ...] = (
    "Präsident", "Président", "Presidente", "Президент", "Sheikh", "Cheikh", "Scheich", "General", "Général",
    "Generál", "Генерал", "Herr", "Frau", "Monsieur", "Madame", "Señor", "Señora", "Sr.", "Sra.", "Don", "Doña",
    "Dr.", "Doktor", "Prof.", "Ing.", "Ingeniero", "Licenciado", "Lic.", "Hajji", "Mullah", "Emir", "Minister",
    "Ministre", "Ministro", "Senator", "Senador", "Colonel", "Coronel", "Oberst", "Major", "Capitán", "Kapitän",
    "Admiral", "Almirante", "Ayatollah", "Mufti", "Imam", "Pastor", "Father", "Rabbi", "Sayed", "Sayyid",
)
# Number words (English) for names that carry a number ("Brigade 44" ~ "Brigade Forty-Four").
NUMBER_WORDS: dict[int, str] = {
    1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine", 10: "Ten",
    11: "Eleven", 12: "Twelve", 13: "Thirteen", 14: "Fourteen", 15: "Fifteen", 16: "Sixteen", 17: "Seventeen",
    18: "Eighteen", 19: "Nineteen", 20: "Twenty", 30: "Thirty", 40: "Forty", 50: "Fifty", 60: "Sixty",
    70: "Seventy", 80: "Eighty", 90: "Ninety",
}
# Digits typed for the letters they resemble ("Ig0r Sech1n").
LOOKALIKE_DIGITS: dict[str, str] = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "b": "8", "g": "9"}
# Words that end a legal form, with the ways customers mangle them (truncated by a field limit, misspelt).
LEGAL_MANGLED: dict[str, tuple[str, ...]] = {
    "COMPANY": ("COMPAN", "COMPNY", "COMAPNY", "COMPANT", "CO"),
    "LIMITED": ("LIMITE", "LIMTED", "LIMITD", "LTD"),
    "CORPORATION": ("CORPORATIO", "CORPORTION", "CORP"),
    "INCORPORATED": ("INCORPORATE", "INCORPERATED", "INC"),
    "LIABILITY": ("LIABILTY", "LIABLITY", "LIABILIT"),
    "AKTIENGESELLSCHAFT": ("AG", "AKTIENGES", "AKTIENGESELSCHAFT"),
    "GESELLSCHAFT": ("GESELLSCHAFT", "GESELSCHAFT", "GES"),
    "JOINT": ("JOINT", "JIONT"),
    "STOCK": ("STOCK", "STOK"),
}
# fmt: on

# fmt: off
# Chinese characters for invented names in script: common family names, and given-name characters that include
# groups sharing one Mandarin reading (伟/维/卫 wei, 丽/莉/立 li, 静/晶/敬 jing, 明/鸣/铭 ming, 石/市/诗 shi, ...).
HANZI_SURNAMES: tuple[str, ...] = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭")
HANZI_GIVEN: tuple[str, ...] = tuple(
    "伟维卫芳方娜敏静晶敬丽莉立力强磊军君洋阳勇艳燕杰洁娟涛明鸣铭超秀英华桦慧惠平萍刚红宏玲婷云峰建国志文斌海冰清"
    "佳怡晨子涵轩浩然淑芬宇鑫欣俊凯龙天晓美兰霞丹瑞石市诗士世"
)
# Hangul syllables of common Korean family names and given-name syllables.
HANGUL_SURNAMES: tuple[str, ...] = tuple("김이박최정강조윤장임한오서신권황안송전홍")
HANGUL_GIVEN: tuple[str, ...] = tuple("민서준지현우예은수영성진호하윤동재혁승상정철일남희경미선태광")
# fmt: on
