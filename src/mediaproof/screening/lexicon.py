# ruff: noqa: E501  (word lists: one language per line reads better than one word per line)
"""Multilingual word lists the rules read, as ASCII stems (text is unidecoded first).

Entries in Greek or Cyrillic are written in their own script and transliterated the
same way prompts are (``normalize.translit``), so they cannot drift from it. A plain entry
is a word prefix (``arrest`` matches arrested, arresting); an entry ending in
``$`` is a whole word; spaces separate words that must follow each other (a stem may carry
up to two words between, written ``~``). Languages: English, German, French, Spanish,
Italian, Portuguese, Dutch, Polish, Swedish, Danish/Norwegian, Czech/Slovak, Romanian,
Finnish, Hungarian, Croatian/Slovene, Greek and Bulgarian, and (shorter lists, at the
end) Irish, Maltese, Estonian, Lithuanian, Latvian, Ukrainian, Russian and Turkish. The
embedding side covers phrasings these lists miss (in English best).
"""

from __future__ import annotations

# Someone is pictured or voiced in a bad light: these need a person (named or described).
ARREST = [
    "arrest", "handcuff", "cuffed$", "in cuffs", "jail", "prison", "behind bars", "mugshot",
    "detain", "custody", "indicted", "perp walk", "cell$", "taken away by police",
    "led away by police", "police van",
    "verhaft", "festgenommen", "festnahme", "handschell", "gefangnis", "knast", "polizeigewahrsam",
    "abgefuhrt",
    "arrete", "arrestation", "menott", "garde a vue", "interpell", "emprisonn",
    "arrestad", "detenid", "detencion", "esposad", "carcel", "prision", "encarcel",
    "arrestat", "arresto", "manett", "carcere", "prigion", "fermato dalla polizia",
    "preso$", "presa$", "prisao", "algemad", "cadeia", "detido", "detida",
    "gearresteerd", "arrestatie", "aangehouden", "handboei", "gevangenis", "cel$",
    "aresztowan", "areszt", "zatrzyman", "kajdank", "wiezien", "zakut",
    "gripen av polis", "arresterad", "hakt$", "handbojor", "fangelse",
    "anholdt", "arrestere", "fengsel", "faengsel", "handjern",
    "zatcen", "zadrzan", "pouta", "vezeni", "vazen", "zatknut",
    "retinut", "arestat", "catuse", "inchisoare", "pusca",
    "pidatet", "vangit", "kasiraud", "letartoztat", "bilincs", "borton",
    "uhicen", "lisice", "zapor", "aretiran", "sulen", "syllif", "fylak", "cheiropedes",
    "zatvor", "arest",
    "συλλαμβ", "σύλληψ", "χειροπέδ", "φυλακ", "κρατούμεν", "арест", "белезниц", "затвор", "задържан",
]
HEALTH = [
    "hospital", "collaps", "stroke$", "heart attack", "unconscious", "faint", "dying",
    "deathbed", "on a stretcher", "stretcher", "ambulance", "wheelchair", "dementia",
    "seizure", "seriously ill", "terminally ill", "drunk$", "overdose", "coma$", "confused and lost",
    "incapacitated", "passed out", "iv drip", "life support",
    "krankenhaus", "klinik", "zusammengebroch", "schlaganfall", "herzinfarkt", "bewusstlos",
    "sterbend", "krankenwagen", "rollstuhl", "demenz", "betrunken", "krankentrage",
    "hopital", "effondr", "avc$", "crise cardiaque", "inconscient", "mourant", "fauteuil roulant",
    "ambulance", "demence", "ivre$", "civiere", "malaise",
    "hospitalizad", "desmay", "derrame", "infarto", "inconsciente", "moribund",
    "silla de ruedas", "ambulancia", "demencia", "borracho", "camilla", "ingresad",
    "ospedal", "svenut", "ictus", "malore", "incoscient", "sedia a rotelle", "ambulanza",
    "ubriaco", "barella", "ricoverat",
    "hospital", "desmai", "avc$", "cadeira de rodas", "bebado", "maca$", "internad",
    "ziekenhuis", "ingestort", "beroerte", "hartaanval", "bewusteloos", "stervend",
    "rolstoel", "dronken", "brancard",
    "szpital", "zaslabl", "udar$", "zawal", "nieprzytomn", "umierajac", "wozek inwalidzki",
    "karetk", "pijan", "noszach",
    "sjukhus", "kollaps", "medvetslos", "rullstol", "ambulans", "berusad", "bar$",
    "sygehus", "sykehus", "bevidstlos", "bevisstlos", "kolaps",
    "nemocnic", "zkolaboval", "mrtvic", "infarkt", "bezvedom", "invalidni vozik", "sanitk",
    "spital", "lesin", "inconstient", "scaun cu rotile", "ambulant", "muribund",
    "sairaala", "tajuton", "pyoratuoli", "kuoleva", "korhaz", "osszeesett", "eszmeletlen",
    "tolokocsi", "mentoauto", "bolnic", "bolnisnic", "nosila", "nosokom", "bolnitsa",
    "νοσοκομεί", "καταρρέ", "ασθενοφόρ", "αναίσθητ", "αναπηρικ", "болниц", "линейк", "припадна", "колабира", "в безсъзнание",
]
VIOLENCE = [
    "shoot", "shot$", "gun$", "guns$", "rifle", "pistol", "firearm", "stab", "knife", "bleed",
    "blood", "bloody", "punch", "beat up", "beating", "attack", "assault", "kill", "murder",
    "dead body", "corpse", "bomb", "explosi", "riot", "lynch", "hang", "executed", "strangl",
    "brawl", "fistfight", "violent", "kidnap", "hostage", "torch", "molotov", "assassinat",
    "schiess", "erschoss", "waffe", "gewehr", "messer", "blut", "schlag", "angriff", "angegriff",
    "getotet", "ermordet", "leiche", "bombe", "krawall", "gewalt", "pruegel", "prugel",
    "tire dessus", "abattu", "fusil", "arme$", "arme a feu", "couteau", "sang$", "sanglant",
    "frapp", "agress", "attaque", "tue$", "assassin", "cadavre", "emeute", "violen",
    "dispar", "pistola", "cuchillo", "sangre", "sangrient", "golpe", "golpead", "atacad",
    "asesin", "matand", "cadaver", "disturbio", "apunal",
    "spara", "sparat", "fucil", "coltello", "sangue", "picchiat", "aggredit", "aggression",
    "ucciso", "uccis", "omicid", "rissa", "accoltell",
    "atira", "baleado", "arma$", "faca$", "esfaquead", "espancad", "agredid", "morto",
    "neerschiet", "neergeschoten", "geweer", "bloed", "geslagen", "aanval", "vermoord",
    "lijk$", "rellen", "geweld", "mishandel",
    "strzel", "zastrzel", "bron$", "noz$", "nozem", "krew", "krwaw", "pobit", "atak",
    "zabit", "morderstw", "zwloki", "zamieszk", "przemoc",
    "skjut", "skjuten", "vapen", "kniv", "blod", "slagen", "misshandl", "mordad", "kravall",
    "vaben", "vapen", "dolk", "drept", "skudt",
    "strel", "zastrel", "zbran", "nuz$", "krev", "zbit", "utok", "zavrazd", "vrazd", "mrtvol",
    "impusc", "arma$", "cutit", "sange", "batut", "atacat", "ucis", "crim$", "revolta",
    "ammu", "ase$", "veitsi", "veri$", "hakat", "murha", "mellakk", "lelott", "fegyver", "kes$",
    "megver", "megtamad", "gyilkos", "holttest", "zavargas", "pucnj", "ubij", "nasilj",
    # present-tense and participle forms: "hits", "beats", "shoots", "attacks"
    "hits$", "hitting", "slaps", "slapping", "kicks", "kicking", "strikes", "striking",
    "schlagt", "schlagend", "verprugel", "tritt$", "schiesst", "ohrfeig", "frappe$", "frappant",
    "gifle", "tire sur", "tirant sur", "golpea", "pega$", "pegando", "dispara", "agrede",
    "abofete", "patea", "picchia", "colpisc", "colpend", "schiaffeg", "prende a calci", "spara$",
    "aggredisc", "agride", "agredir", "bate$", "batendo", "bate em", "espanca", "esbofete",
    "chuta", "slaat", "slaand", "schopt", "schiet", "mishandelt", "bije$", "bijac", "uderza",
    "kopie", "strzela", "policzkuje", "atakuje", "slar$", "slaende", "sparkar", "skjuter",
    "misshandlar", "slaar", "sparker", "skyder", "mlati", "kope", "strili", "napada",
    "loveste", "lovind", "bate pe", "palmuieste", "impusca", "ataca",
    "potkii", "ampuu", "utlegeti", "rugja", "udara", "udari", "puca",
    "chtypa", "pyrovol", "udrya", "strelya",
    "χτυπ", "πυροβολ", "μαχαίρ", "αίμα", "επίθεσ", "δολοφον", "удря", "стреля", "нож$", "кръв", "пребива", "нападе",
]
# Deceptive scenes about the vote itself: these need no person.
BALLOT_OBJECT = [
    "ballot", "ballots", "mail in vote", "postal vote", "absentee", "ballot box", "voting machine",
    "election officials counting", "vote count", "tally", "tabulat", "drop box", "dropbox",
    "votes$", "wahlzettel", "stimmzettel", "wahlurne", "briefwahl", "wahlmaschine", "stimmen$",
    "bulletin", "urne", "vote par correspondance", "machine a voter", "votes$",
    "papeleta", "boleta", "voto", "votos", "urna", "voto por correo", "scheda elettoral",
    "schede", "voti$", "cedula", "cedulas", "boletim", "stembiljet", "stembus", "stemmen$",
    "karta do glosowania", "karty do glosowania", "karty wyborcze", "glosy$", "urn",
    "valsedel", "valsedlar", "rostsedel", "stemmesedl", "stemmeseddel", "hlasovaci listk",
    "hlasy$", "buletin", "buletine", "voturi", "aanestyslip", "aanet$", "szavazolap", "szavazat",
    "glasack", "glasov", "psifodeltio", "psifoi", "byuletin",
    "ψηφοδέλτι", "κάλπ", "ψήφους", "бюлетин", "урни",
]
BALLOT_HARM = [
    "destroy", "burn", "burning", "shred", "dump", "dumped", "trash", "garbage", "bin$", "binned",
    "discard", "thrown away", "throw away", "throwing away", "toss", "stuff", "stuffing",
    "forged", "fake", "fraudulent", "stolen", "steal", "tamper", "rigged", "rigging", "flipp",
    "deleted", "delete", "in a river", "in a dumpster", "set on fire", "on fire", "hidden",
    "smuggl", "found in a ditch", "switched", "altered",
    "vernicht", "verbrannt", "verbrenn", "geschreddert", "weggeworfen", "mull", "gefalscht",
    "manipul", "gestohlen", "brennend", "entsorgt",
    "detrui", "brul", "dechiquet", "jete", "poubelle", "falsifi", "truque", "vole$", "voles$",
    "bourr", "incendi", "destru", "quemad", "quema", "triturad", "tirad", "basura", "falsif",
    "amanad", "robad", "robo$", "distrutt", "bruciat", "brucia", "strappat", "gettat",
    "spazzatura", "falsificat", "truccat", "rubat", "queimad", "rasgad", "jogad", "lixo",
    "fraud", "roubad", "vernietig", "verbrand", "versnipperd", "weggegooid", "vuilnis",
    "vervals", "gestolen", "zniszcz", "spalon", "pali", "podart", "wyrzuc", "smiec",
    "sfalszow", "skradzion", "forstord", "forstor", "brand", "brinn", "kastad", "sopor",
    "forfalsk", "stulen", "odelagt", "odelagd", "kastet", "znicen", "spalen", "hozen", "odpad",
    "zfalsifik", "ukraden", "distrus", "ars$", "arse", "aruncat", "gunoi", "furat",
    "tuhottu", "poltet", "heitetty", "roskiin", "vaarennet", "varastet", "megsemmisit",
    "eleget", "eldob", "szemet", "hamisit", "ellopt", "unisten", "spaljen", "bacen", "smece",
    "kazen", "kaigon", "kaiyat", "unishto", "izgoren",
    "burns", "queim", "quem", "bruci", "brul", "verbrand", "verbrenn", "pal$", "palen", "palac",
    "spal", "branne", "brann", "brand", "pali", "ard$", "ardere", "ard ", "poltta", "polttav",
    "eget", "getik", "spalj", "pale", "kaine", "gori", "tear up", "torn up", "ripped up",
    "rasg", "strapp", "dechir", "zerriss", "verscheur", "podar", "rev$", "rivna", "trhaj",
    "rup", "repi", "scheur",
    "καίνε", "καίει", "καμέν", "σκισ", "πετάνε", "πεταμέν", "κλεμμέν", "πλαστ", "изгаря", "горят", "унищож", "изхвърл", "подправ",
]
POLLING_PLACE = [
    "polling place", "polling station", "polling site", "polling location", "polling",
    "voting location", "vote centre", "vote center", "voting centre", "voting center",
    "voting site", "precinct", "election office", "wahllokal", "abstimmungslokal", "wahlbuero",
    "bureau de vote", "bureaux de vote", "centre de vote", "colegio electoral", "mesa electoral",
    "centro de votacion", "local de votacion", "seggio", "seggi", "sezione elettorale",
    "assembleia de voto", "seccao de voto", "local de voto", "stembureau", "stemlokaal",
    "lokal wyborcz", "komisj wyborcz", "obwodow", "vallokal", "rostningslokal", "valsted",
    "valgsted", "stemmested", "volebni mistnost", "volebni mistnost", "volebn",
    "sectie de votare", "sectia de votare", "sectii de votare", "aanestyspaikka", "vaalihuoneisto",
    "szavazohelyiseg", "szavazokor", "birocko mjesto", "birali", "volisce", "eklogiko kentro",
    "izbiratelna sektsiya", "izbiratel",
    "εκλογικό κέντρο", "εκλογικού κέντρου", "εκλογικό τμήμα", "избирателна секция", "избирателната секция", "секцията",
]
POLLING_FALSE = [
    "closed", "shut", "moved", "relocat", "cancel", "postpon", "flooded", "no longer",
    "changed", "new location", "locked", "armed", "guards", "soldiers", "police at", "ice agents",
    "immigration agents", "empty", "on fire", "evacuat", "turned away", "turning away",
    "hours changed", "open only", "opens only", "closes early",
    "geschlossen", "verlegt", "abgesagt", "verschoben", "bewaffnet", "soldaten", "uberflutet",
    "evakuiert", "ferme", "fermes", "deplace", "annule", "reporte", "inond", "armes", "soldats",
    "cerrad", "trasladad", "cancelad", "aplazad", "inundad", "armados", "soldados", "chiuso",
    "chiusi", "spostat", "annullat", "rinviat", "allagat", "armati", "soldati", "fechad",
    "mudad", "adiad", "gesloten", "verplaatst", "geannuleerd", "uitgesteld", "gewapend",
    "zamkniet", "przeniesion", "odwolan", "przelozon", "zalan", "uzbrojen", "zolnierz",
    "stangt", "stangd", "flyttad", "flyttet", "installt", "aflyst", "uzavren", "zavren",
    "presunut", "zrusen", "odlozen", "inchis", "mutat", "anulat", "aminat", "suljet", "suljettu",
    "siirretty", "peruttu", "bezart", "athelyez", "torolt", "zatvoren", "premjesten", "otkazan",
    "zaprt", "kleist", "zatvoreni",
    "κλειστ", "μεταφέρθηκε", "ακυρώθηκε", "αναβλήθηκε", "затворен", "преместен", "отменен",
]
VOTE_WORDS = [
    "vot", "elect", "elecc", "elezi", "eleic", "wahl", "stemm", "glos", "wybor", "rost", "valg",
    "volb", "volit", "hlas", "alege", "aanest", "vaal", "szava", "valaszt", "glas", "izbor",
    "psif", "eklog", "kiez", "verkiez",
    "stimmabgabe", "stem uitbreng", "stemmen uitbreng",
    "vote", "voting", "voter", "election", "elections", "ballot", "poll$", "polls$", "caucus",
    "wahl", "wahlen", "wahler", "abstimm", "stimme ab", "vote", "voter$", "votez", "electeur",
    "election", "scrutin", "votar", "votacion", "votant", "elecciones", "eleccion", "elector",
    "votare", "votazion", "elezion", "elettor", "eleicao", "eleicoes", "eleitor", "stemm", "stemmen",
    "verkiezing", "kiezer", "glosow", "glosuj", "wybor", "wyborc", "rosta", "rostning", "val$",
    "valet", "valg$", "valget", "stemme", "volit", "volby", "volic", "hlasov", "vot$", "votati",
    "votul", "alegeri", "alegator", "aanest", "vaalit", "vaali", "szavaz", "valaszt", "glasa",
    "glasov", "izbor", "volitve", "psifo", "ekloges", "glasuva", "izbori",
    "ψηφ", "εκλογ", "гласув", "избор",
]
# False instructions about how, when or whether to vote.
FALSE_INSTRUCTION = [
    "vote by text", "vote by sms", "text your vote", "sms your vote", "vote by phone",
    "vote by phone call", "vote online", "vote by email", "vote via app", "vote through the app",
    "vote on wednesday", "vote tomorrow", "the day after", "election has been postponed",
    "election is postponed", "election postponed", "election moved", "election is cancelled",
    "election cancelled", "stay home", "don t vote", "do not vote", "no need to vote",
    "don t need to vote", "your vote won t count", "votes won t count", "vote will not count",
    "second day of voting", "separate day", "voting day for", "only vote", "must bring",
    "need a passport", "need your passport", "id will be checked against", "deadline extended",
    "deadline has been extended", "dial", "call this number", "if you are a",
    "per sms", "per sms abstimmen", "per telefon", "online abstimmen", "per app", "bleiben sie zu hause",
    "bleibt zu hause", "wahl verschoben", "wahl wurde verschoben", "wahl ist abgesagt",
    "nicht wahlen", "am montag", "am mittwoch", "morgen wahlen", "zahlt nicht", "zahlen nicht",
    "par sms", "par texto", "par telephone", "en ligne", "restez chez vous", "restez a la maison",
    "election reportee", "election est reportee", "ne votez pas", "ne compte pas", "mercredi",
    "lundi", "par application",
    "por sms", "por mensaje", "por telefono", "por internet", "quedate en casa", "quedense en casa",
    "eleccion aplazada", "eleccion se ha aplazado", "no votes", "no cuenta", "no contara",
    "miercoles", "el lunes", "el martes", "por la app",
    "via sms", "per telefono", "resta a casa", "restate a casa", "elezioni rinviate",
    "elezione rinviata", "non votare", "non conta", "non contera", "mercoledi", "lunedi",
    "tramite app",
    "por mensagem", "fique em casa", "fiquem em casa", "eleicao adiada", "eleicoes adiadas",
    "nao vote", "nao votem", "nao conta", "quarta feira", "segunda feira",
    "stemmen per sms", "via de app", "blijf thuis", "verkiezing uitgesteld",
    "verkiezingen uitgesteld", "stem niet", "telt niet", "woensdag", "maandag",
    "przez sms", "esemesem", "przez telefon", "przez internet", "zostan w domu", "zostancie w domu",
    "wybory przelozone", "wybory przesuniete", "nie glosuj", "nie liczy", "w srode", "w poniedzialek",
    "przez aplikacj",
    "via sms", "per sms", "stanna hemma", "valet ar uppskjutet", "valet har skjutits upp",
    "rosta inte", "raknas inte", "pa onsdag", "pa mandag", "bliv hjemme", "bli hjemme",
    "valget er udskudt", "valget er utsatt", "stem ikke", "taeller ikke", "teller ikke",
    "pres sms", "zustante doma", "volby odlozeny", "volby jsou odlozeny", "nevolte", "nepocita",
    "ve stredu", "v pondeli", "prin sms", "ramaneti acasa", "stati acasa", "alegerile au fost amanate",
    "alegeri amanate", "nu votati", "nu conteaza", "miercuri", "luni$", "tekstiviestilla",
    "pysykaa kotona", "vaalit on siirretty", "vaalit siirretty", "ala aanesta", "ei lasketa",
    "keskiviikkona", "sms ben", "sms-ben", "maradjon otthon", "maradjanak otthon",
    "valasztast elhalasztottak", "ne szavazzon", "nem szamit", "szerdan", "putem sms",
    "ostanite kod kuce", "izbori su odgodeni", "ne glasajte", "ne racuna", "u srijedu",
    "meinete spiti", "ekloges anavallontai", "min psifisete", "ostanete vkashti",
]
ENDORSE = [
    "endors", "vote for", "voting for", "supports", "supporting", "backing", "backs$",
    "urges voters", "urging voters", "urging people to vote", "telling people to vote",
    "tells people to vote", "telling voters", "recommends", "switching sides", "joins the campaign",
    "campaigning for", "declares support", "announces support", "concede", "concedes",
    "conceding", "drops out", "dropping out", "withdraws from the race", "withdrawing from",
    "quits the race", "unterstutz", "wahlt", "wahlen sie", "ruft dazu auf", "empfiehlt",
    "wahlempfehlung", "zieht sich zuruck", "gibt auf", "soutien", "soutient", "votez pour",
    "appelle a voter", "recommande", "se retire", "abandonne", "apoy", "vota por", "voten por",
    "votad a", "pide el voto", "recomienda", "se retira", "abandona", "sostien", "sostegno",
    "appoggi", "votate", "vota per", "invita a votare", "raccomanda", "si ritira", "apoia",
    "votem em", "vote em", "pede voto", "desiste", "steunt", "stem op", "roept op", "trekt zich terug",
    "popier", "poparci", "glosujcie na", "glosuj na", "wzywa do glosowania", "wycofuje",
    "stodjer", "stotter", "rosta pa", "stem pa", "drar sig ur", "trekker seg", "podporuj",
    "volte", "odstupuje", "sustin", "votati cu", "votati pentru", "se retrage", "tukee",
    "aanestakaa", "vetaytyy", "tamogat", "szavazzanak", "szavazzon", "visszalep", "podrzav",
    "glasajte za", "povlaci", "ypostiriz", "psifiste", "podkrepya", "glasuvaite za",
    "στηρίζ", "ψηφίστε", "αποσύρεται", "подкрепя", "гласувайте за", "оттегля",
]
ROBOCALL = [
    "robocall", "robo call", "robo-call", "automated call", "automated phone", "voicemail",
    "voice mail", "voice message", "phone message", "audio message", "voice note",
    "voice clone", "cloned voice", "clone voice", "clone the voice", "clone his voice",
    "clone her voice", "in the voice of", "in his voice", "in her voice", "sounding like",
    "sounds like", "imitating the voice", "mimic", "impersonat", "voice of",
    "anruf", "telefonanruf", "sprachnachricht", "stimme von", "stimme des", "stimme der",
    "stimmklon", "geklonte stimme", "klingt wie", "appel automatise", "message vocal",
    "message telephonique", "voix de", "voix clonee", "cloner la voix", "imite la voix",
    "llamada automatica", "mensaje de voz", "voz de", "voz clonada", "clonar la voz", "imitando la voz",
    "chiamata automatica", "messaggio vocale", "voce di", "voce clonata", "clonare la voce",
    "imitando la voce", "chamada automatica", "mensagem de voz", "voz clonada", "clonar a voz",
    "robotgesprek", "voicemailbericht", "spraakbericht", "stem van", "gekloonde stem",
    "telefon automatyczny", "automatyczne polaczenie", "wiadomosc glosow", "glosem", "glos ",
    "sklonowany glos", "robotsamtal", "rostmeddelande", "rost av", "klonad rost",
    "talebesked", "stemme af", "stemmen til", "hlasova zprava", "hlasem", "klonovany hlas",
    "apel automat", "mesaj vocal", "vocea lui", "vocea", "voce clonata", "puheviesti",
    "aanella", "kloonattu aani", "hangposta", "hangjan", "hangjaval", "klonozott hang",
    "glasovna poruka", "glasom", "klonirani glas", "fonitiko minima", "me ti foni",
    "glasovo saobshtenie", "s glasa na",
    "φωνή", "αυτόματη κλήση", "ηχητικό μήνυμα", "гласа на", "автоматично обаждане", "гласово съобщение",
]
# Words that point at an office-holder or candidate without a name.
ROLE = [
    "president", "prime minister", "premier", "chancellor", "minister", "senator", "governor",
    "mayor", "candidate", "congressman", "congresswoman", "congressmember", "member of parliament",
    "mp$", "mep$", "head of state", "head of government", "party leader", "leader of the",
    "opposition leader", "secretary of state", "election commissioner", "election official",
    "speaker of", "vice president", "vice-president", "incumbent", "nominee", "frontrunner",
    "front runner", "running mate", "first lady",
    "prasident", "kanzler", "bundeskanzler", "ministerprasident", "ministerin", "burgermeister",
    "kandidat", "abgeordnet", "spitzenkandidat", "parteichef", "amtsinhaber",
    "presidente", "president de la republique", "premier ministre", "ministre", "maire$",
    "candidat", "depute", "chef de l etat", "chef du parti", "sortant",
    "presidenta", "primer ministro", "primera ministra", "ministra", "alcald", "candidat",
    "diputad", "jefe de estado", "lider del partido", "presidente del consiglio",
    "sindaco", "candidat", "deputat", "capo dello stato", "leader del partito",
    "primeiro ministro", "primeira ministra", "prefeit", "presidente da camara", "deputad",
    "premier$", "minister president", "burgemeester", "kandidaat", "lijsttrekker", "kamerlid",
    "prezydent", "premier", "kanclerz", "burmistrz", "kandydat", "posel", "poslank", "przewodnicz",
    "statsminister", "borgmastare", "borgmester", "kandidat", "riksdagsledamot", "partiledare",
    "prezident", "premier", "starost", "primator", "kandidat", "poslan", "presedinte",
    "prim ministru", "primar", "candidat", "deputat", "presidentti", "paaministeri", "pormestari",
    "ehdokas", "kansanedustaja", "elnok", "miniszterelnok", "polgarmester", "jelolt", "kepviselo",
    "predsjednik", "premijer", "gradonacelnik", "zastupnik", "proedros", "prothypourgos",
    "dimarchos", "ypopsifi", "prezident", "premier", "kmet$", "kandidat",
    "πρωθυπουργ", "πρόεδρο", "δήμαρχ", "υποψήφι", "βουλευτ", "υπουργ", "президент", "премиер", "кмет", "кандидат", "министър",
]
# Makes a role specific: a definite article, an office's place or party, "current".
ROLE_SPECIFIC = [
    "the", "our", "current", "sitting", "incumbent", "former", "republican", "democrat",
    "democratic", "conservative", "labour", "liberal", "green", "socialist", "social democrat",
    "christian democrat", "far right", "far left", "populist", "nationalist", "of the united",
    "of france", "of germany", "of italy", "of spain", "of poland", "of the country", "of this",
    "this country", "der$", "die$", "des$", "unser", "amtierend", "le$", "la$", "du$", "de la",
    "notre", "actuel", "el$", "la$", "del$", "nuestro", "nuestra", "actual", "il$", "lo$",
    "nostro", "nostra", "attuale", "do$", "da$", "nosso", "nossa", "atual",
    "het$", "onze", "huidig", "obecn", "nasz", "urzedujac", "var$", "vores", "nuvarande",
    "nuvaerende", "sittande", "soucasn", "nas$", "actual", "nostru", "actualul", "presedintele",
    "nykyinen", "jelenlegi", "sadasnj", "nasa", "sigashn",
    "νυν", "σημεριν", "настоящ", "сегашн",
]
# Appearance words that, with a role, describe a particular person.
DESCRIPTOR = [
    "tall", "short", "golden haired", "blond", "orange", "bald", "grey haired", "gray haired",
    "white haired", "elderly", "old$", "young", "wearing", "with glasses", "red tie", "blue suit",
    "hair", "beard", "moustache", "mustache", "famous", "well known", "known for", "from the",
    "who", "blond", "gross", "blonde", "blond", "glatz", "alt$", "grand", "chauve", "ag$",
    "alto", "rubio", "calvo", "anciano", "biondo", "calvo", "anziano", "loiro", "careca",
    "lang$", "kaal", "wysoki", "blondyn", "lysy", "starszy", "lang", "skallig", "vysoky",
    "plesat", "inalt", "chel", "pitka", "kalju", "magas", "kopasz", "visok", "celav",
]
# Clearly labelled satire, caricature or fiction.
SATIRE = [
    "satire", "satirical", "parody", "caricature", "cartoon", "comic strip", "political cartoon",
    "labelled as satire", "labeled as satire", "clearly labelled", "clearly labeled",
    "obviously fake", "watermarked as", "marked as ai", "satir", "parodi", "karikatur",
    "caricatur", "vignetta", "fumetto", "vinheta", "tirinha", "historieta", "tira comica",
    "spotprent", "strip$", "rysunek satyryczny", "komiks", "serietidning", "karikatura",
    "pilapiirros", "karikatuur", "political comic",
]
FICTION = [
    "fictional", "fictitious", "made up", "made-up", "imaginary", "invented", "generic",
    "fiktiv", "erfunden", "fictif", "imaginaire", "ficticio", "imaginario", "inventado",
    "immaginario", "inventato", "fittizio", "verzonnen", "fikcyjn", "wymyslon", "pahdat",
    "fictiv", "kitalalt", "izmisljen", "fiktivni", "fanatastiko",
]
# Asking about something rather than asking to make it.
EXPLAIN = [
    "explain", "what is", "what are", "what was", "what were", "what happened", "why did",
    "why does", "why is", "why are", "how do", "how does", "how can i tell", "how to spot",
    "how to detect", "how to identify", "how to recognise", "how to recognize", "is it true",
    "is there", "are there", "fact check", "fact-check",
    "summar", "news about", "latest news", "news on", "report on", "history of", "timeline of",
    "article about", "write an article", "write a news", "when is", "where is", "where do i",
    "where can i", "who is", "who won", "how many",
    "erklar", "was ist", "was sind", "warum", "wie erkenne", "stimmt es", "wo ist", "wann ist",
    "wer ist", "nachrichten", "explique", "qu est ce", "pourquoi", "comment reconnaitre",
    "est ce vrai", "est il vrai", "ou est", "quand a lieu", "qui est", "actualite", "explica",
    "que es", "por que", "como reconocer", "es cierto", "es verdad", "donde esta", "cuando es",
    "quien es", "noticias", "spiega", "cos e", "che cos", "perche", "come riconoscere",
    "e vero", "dove si trova", "quando si", "chi e", "notizie", "o que e", "porque", "como reconhecer",
    "e verdade", "onde fica", "quando e", "quem e", "leg uit", "wat is", "waarom",
    "hoe herken", "klopt het", "waar is", "wanneer is", "wie is", "nieuws", "wyjasnij",
    "co to jest", "dlaczego", "jak rozpoznac", "czy to prawda", "gdzie jest", "kiedy sa",
    "kto to", "wiadomosci", "forklara", "vad ar", "varfor", "hur kanner", "stammer det",
    "var ligger", "nar ar", "vem ar", "nyheter", "forklar", "hvad er", "hvorfor", "er det sandt",
    "vysvetli", "co je", "proc", "je pravda", "kde je", "kdy jsou", "explicati", "ce este",
    "de ce", "este adevarat", "unde este", "cand sunt", "stiri", "selita", "mika on", "miksi",
    "onko totta", "missa on", "magyarazd", "mi az", "miert", "igaz hogy", "hol van", "objasni",
    "sto je", "zasto", "je li istina", "gdje je", "exigise", "ti einai", "giati",
]
# The prompt asks for media: only used with EXPLAIN to tell a question from a scene.
MEDIA = [
    "image", "photo", "picture", "pic$", "video", "clip", "footage", "audio", "recording",
    "render", "draw", "generate", "create", "make$", "make a", "show", "depict", "photoreal",
    "realistic", "hyperreal", "4k", "8k", "hd$", "cctv", "bodycam", "dashcam", "selfie",
    "deepfake", "robocall", "voicemail", "voice", "poster", "flyer", "leaflet", "screenshot",
    "bild", "foto", "aufnahme", "erstelle", "erzeuge", "zeichne", "zeige", "realistisch",
    "image", "photo", "dessine", "genere", "cree", "montre", "realiste", "imagen", "dibuja",
    "genera", "crea", "muestra", "realista", "immagine", "disegna", "mostra", "realistic",
    "imagem", "desenhe", "gere", "crie", "mostre", "afbeelding", "teken", "genereer", "maak",
    "toon", "realistisch", "obraz", "zdjeci", "narysuj", "wygeneruj", "stworz", "pokaz",
    "realistyczn", "bild", "rita", "skapa", "generera", "visa", "billede", "tegn", "lav$",
    "obrazek", "fotk", "nakresli", "vytvor", "imagine", "fotografie", "deseneaza", "genereaza",
    "creeaza", "arata", "kuva", "valokuva", "piirra", "luo", "kep$", "kepet", "fenykep", "rajzolj",
    "keszits", "slika", "fotografij", "nacrtaj", "generiraj", "napravi", "eikona", "fotografia",
    "snimka", "izobrazhenie",
]

# --- Concepts rather than keywords (issue 19, generalisation): each list below names a
# kind of thing a deceptive prompt says in other words, in the languages above.
# Taken away by the police without the word "arrested": a police car, tied wrists.
ARREST_SCENE = [
    "squad car", "patrol car", "police car", "police vehicle", "police van", "paddy wagon",
    "zip tie", "zip tied", "cable tie", "wrists tied", "wrists bound", "hands tied", "hands bound",
    "hands behind", "frog march", "escorted out by officers", "led out by officers", "perp walk",
    "streifenwagen", "polizeiauto", "polizeiwagen", "gefesselt", "hande auf dem rucken",
    "voiture de patrouille", "voiture de police", "fourgon de police", "poignets attache",
    "mains attache", "mains dans le dos", "coche patrulla", "coche de policia", "furgon policial",
    "munecas atadas", "manos atadas", "auto di pattuglia", "volante della polizia", "polsi legati",
    "mani legate", "radiowoz", "rece skrepowan", "rece zwiazan", "carro patrulha", "carro da policia",
    "pulsos amarrados", "maos amarradas", "masina de patrula", "masina de politie", "incheieturile legate",
    "mainile legate", "polisbil", "piketbil", "handerna bundna", "politieauto", "politiewagen",
    "polsen vastgebonden", "handen gebonden", "policejni auto", "policejni vuz", "spoutan", "spútan",
    "politibil", "poliisiauto", "rendororsegi auto", "policijski auto", "vezane ruke",
]
# Collapsed or frail, said without the stock words (slumped, lifeless, not moving).
HEALTH_SCENE = [
    "slumped", "lifeless", "not moving", "motionless", "eyes rolled", "drooling", "spoon fed",
    "frail", "zusammengesackt", "sackt", "regungslos", "leblos", "affale", "inerte",
    "yeux revulses", "desplomad", "sin moverse", "ojos en blanco", "accasciat", "immobile",
    "occhi rovesciati", "osuwa sie", "bez ruchu", "nieruchom", "tombad", "imovel",
    "olhos revirados", "prabusit", "nemiscat", "sjunker ihop", "ororlig", "livlos", "zakt",
    "roerloos", "levenloos", "bezvladn",
]
# Violence said without the stock words (shoving someone down the stairs, a brick).
VIOLENCE_SCENE = [
    "shove", "shoving", "pushing an old", "pushes an old",
    "hurling", "throwing a brick", "threw a brick", "stosst", "gestossen",
    "pousse", "poussant", "empuja", "empujando", "spinge",
    "spingend", "spycha", "popycha", "empurra",
    "imping", "knuffar", "knuffa", "duwt",
    "duwen", "strci",
]
# Voting material other than "ballots": papers, slips, envelopes, sacks of them.
BALLOT_MATERIAL = [
    "voting paper", "voting papers", "voting slip", "voting slips", "vote envelope", "voting envelope",
    "ballot bag", "ballot sack", "completed votes", "filled in votes", "filled in voting",
    "wahlschein", "wahlbrief", "wahlumschlag", "papier de vote", "papiers de vote", "enveloppe de vote",
    "sobre de voto", "sobres de voto", "sobres electorales", "papeles de voto", "busta elettoral",
    "buste elettoral", "schede gia compilate", "karty wyborcze", "wypelnionymi kartami",
    "wypelnione karty", "koperty wyborcze", "papeis de voto", "papel de voto", "boletins ja preenchidos",
    "buletine completate", "plicuri de vot", "rostkuvert", "ifyllda rostsedlar", "ingevulde biljetten",
    "stembiljetten", "stemenveloppen", "stemmekuvert", "volebni obalk", "hlasovaci listk",
]
# Where voting material must not be: in water, at a dump, being tipped out, floating.
BALLOT_DISPOSAL = [
    "floating", "in the canal", "in a canal", "in the river", "in a river", "in the lake", "landfill",
    "tipped", "tipping", "dumpster", "skip$", "incinerator", "in the sea", "washed up",
    "treiben", "treibend", "im kanal", "im fluss", "im see", "mullhalde", "deponie", "flottant",
    "dans le canal", "dans la riviere", "decharge", "flotando", "en el canal", "en el rio",
    "vertedero", "galleggia", "nel canale", "nel fiume", "discarica", "plywajac", "w kanale",
    "w rzece", "wysypisk", "a flutuar", "no canal", "no rio", "aterro", "plutind", "pe canal",
    "in rau", "groapa de gunoi", "flyter", "i kanalen", "i floden", "soptipp", "drijvend",
    "in de gracht", "in het kanaal", "in de rivier", "vuilnisbelt", "vuilstort", "plovouc",
    "v kanalu", "v rece", "skladk",
]
# Nobody may vote here / everyone must go elsewhere: a polling place claimed shut or moved,
# said with a vote word nearby rather than with "polling station closed".
VOTE_DENIED = [
    "no voting", "no vote here", "nobody can vote", "no one can vote", "cannot vote", "can t vote",
    "cannot cast", "nobody can cast", "voting is suspended", "voting suspended", "voting cancelled",
    "voting canceled", "must go to", "have to go to", "go instead to", "instead go to", "vote instead at",
    "keine stimmabgabe", "keine wahl", "nicht wahlen", "kann niemand", "mussen in die", "muss in die",
    "stattdessen", "personne ne peut", "pas de vote", "on ne vote pas", "doit aller", "doivent aller",
    "no vota nadie", "nadie puede votar", "no se vota", "deben ir", "tienen que ir", "non vota nessuno",
    "nessuno puo votare", "non si vota", "devono andare", "nikt tu nie", "nikt nie moze", "nie mozna",
    "musza jechac", "musza isc", "ninguem vota", "ninguem pode", "nao se vota", "tem de ir",
    "tem que ir", "nimeni nu voteaza", "nimeni nu poate", "nu se voteaza", "trebuie sa mearga",
    "ingen kan", "ingen rostning", "maste aka", "maste ga", "niemand kan", "niemand zijn stem",
    "geen stemming", "moet naar", "moeten naar", "nikdo nemuze", "musi jet", "ingen kan stemme",
    "skal ga til", "kukaan ei voi", "senki nem", "nitko ne moze",
]
# Voting from afar by a channel that does not exist: from home, by replying, to a number.
REMOTE_VOTE = [
    "from home", "from your sofa", "by replying", "reply yes", "text yes", "send yes", "this number",
    "by text", "by whatsapp", "by dm", "in the comments", "by email",
    "von zu hause", "von daheim", "an diese nummer", "per whatsapp", "depuis chez", "de chez vous",
    "en repondant", "a ce numero", "desde casa", "respondiendo", "a este numero", "da casa",
    "rispondendo", "a questo numero", "z domu", "odpowiadajac", "na ten numer", "a partir de casa",
    "de casa", "respondendo", "para este numero", "de acasa", "raspunzand", "la acest numar",
    "hemifran", "genom att svara", "till det har numret", "thuis", "door ja te sturen",
    "naar dit nummer", "z domova", "na toto cislo", "hjemmefra", "til dette nummer",
    "kotoa kasin", "otthonrol", "od kuce", "na ovaj broj",
]
# Choosing, casting, making one's choice: vote words for the instructions rule.
CHOICE = [
    "make their choice", "make your choice", "cast", "choose", "choice", "entscheiden", "wahl treffen",
    "faire leur choix", "faire votre choix", "elegir", "scegliere", "dokonac wyboru", "escolher",
    "exprima optiunea", "valja", "valj", "keuze", "volit", "vaelge",
]
# "who leads the Greens", "the man who has run the country": an office described by what
# its holder does, pointing at a person without a role word.
LEAD_VERB = [
    "lead", "leads", "leading", "heads", "runs", "running", "has run", "governs", "governed",
    "rules", "chairs", "in charge of",
    "anfuhrt", "fuhrt", "leitet", "regiert", "an der spitze", "dirige", "gouverne", "a la tete",
    "lidera", "gobierna", "al frente", "guida", "governa", "a capo", "kieruje", "rzadzi", "przewodzi",
    "na czele", "governa", "conduce", "guverneaza", "condus", "leder", "styr", "styrt", "leidt",
    "regeert", "geregeerd", "vede", "ridi", "vladne", "vodi", "johtaa", "hallitsee", "vezeti",
    "kormanyoz", "styrer",
]
POLITY = [
    "party", "country", "government", "nation", "state", "parliament", "greens", "opposition",
    "coalition", "ministry", "city", "senate",
    "partei", "land$", "landes", "regierung", "bundestag", "grunen", "opposition", "koalition",
    "stadt", "parti", "pays", "gouvernement", "assemblee", "verts", "ville", "partido", "pais",
    "gobierno", "congreso", "verdes", "ciudad", "partito", "paese", "governo", "parlamento", "verdi",
    "citta", "partia", "kraj", "krajem", "rzad", "sejm", "zielon", "miasto", "governo", "tara",
    "tarii", "guvern", "parlament", "verzii", "oras", "landet", "regeringen", "riksdag",
    "miljopartiet", "partij", "regering", "kamer", "groenlinks", "strana", "stranku", "zemi",
    "vladu", "vlade", "stranka", "puolue", "maata", "hallitus", "part$", "orszag", "kormany",
]

# --- Every official EU language, and Ukrainian, Russian and Turkish (issue 19: "languages
# beyond the repo's"). Concepts, not sentences: for each scenario the words a prompt in
# that language uses for it, as short stems (a stem matches every ending: inflected
# languages need no grammar), Cyrillic and Greek in their own script (read through
# ``normalize.translit`` as prompts are). Order: bg, cs/sk, da, el, ga, hr/sl, hu, mt,
# fi, et, lt, lv, uk, ru, tr.
ARREST += [
    "арест", "арешт", "белезниц", "задържа", "полицейска кола", "полицейски автомобил", "окован",
    "zatcen", "zatykac", "zatknut", "zadrzen", "pouta", "poutech", "spoutan", "vezeni", "vazen",
    "policejni aut", "policajn aut",
    "anholdt", "anholdelse", "arresteret", "faengsel", "varetaegt", "politibil",
    "σύλληψ", "συλλαμβ", "συνελήφθ", "χειροπέδ", "περιπολικ", "κρατητήρι", "φυλακ",
    "gabhail", "ghabhail", "ngabhail", "glais lamh", "carr poilini", "carr na ngardai", "priosun",
    "phriosun", "bpriosun", "faoi choimead",
    "uhicen", "priveden", "privoden", "policijsk aut", "policijsk avto", "aretir", "priprt", "lisicah",
    "rendorauto", "orizetbe", "bilincs",
    "arrestat", "manetti", "karozza tal pulizija", "habs$",
    "kiinniotet", "otettiin kiinni", "vankila", "putka", "kasiraud", "poliisiaut",
    "vahist", "kaerau", "politseiaut", "vangla", "kinni peetud",
    "suim", "sulaiky", "antrank", "policijos automobil", "kalejim", "aresztuot", "areštuot",
    "aiztur", "rokudzelz", "policijas masin", "cietum",
    "заарештован", "наручник", "поліцейськ машин", "затриман", "в'язниц", "під варт",
    "задержан", "полицейск машин", "автозак", "тюрьм", "под стражу",
    "tutuklan", "gozalti", "kelepce", "polis arabas", "hapse", "hapiste", "cezaevi",
]
HEALTH += [
    "припад", "неподвижн", "инфаркт", "носилк", "умира", "мозъчен инсулт", "мозковий інсульт", "в безсъзнание",
    "zhrout", "zhrouti", "zruti", "kolaps", "bez hnuti", "bez vedomi", "omdle", "zachranar",
    "zachrank", "nositk", "nosidl", "mrtvic", "nemocnic",
    "falder om", "besvim", "livlos", "hjertemassage", "hjertestop", "slagtilfaelde",
    "λιποθυμ", "ασθενοφόρ", "φορείο", "νοσοκομεί", "καρδιακή προσβολή", "εγκεφαλικ", "κατέρρευσ",
    "σωριάζ", "αναίσθητ",
    "i laige", "otharcharr", "ospideal", "gan aithne", "taom croi", "sintean",
    "onesvijest", "bez svijesti", "hitna pomoc", "nepomicn", "mozdani udar", "zgrudi", "nezavest",
    "resevaln", "bolnisnic",
    "osszees", "eszmeletlen", "mentok", "mentoaut", "hordagy", "korhaz", "elajul", "szivroham",
    "agyverzes",
    "isptar", "sptar", "ambulanza", "hass hazin", "mitluf minn sensih", "attakk tal qalb",
    "lyyhisty", "pyorty", "tajuton", "liikkumatta", "sairaala", "ambulanssi", "paarit",
    "sydankohtaus", "aivoinfarkt",
    "minestab", "teadvuseta", "kiirabi", "haigla", "kanderaam",
    "sukniub", "alpst", "be samones", "greitosios", "ligonin", "nestuv",
    "sabruk", "gibst", "bezsaman", "atras palidzib", "slimnic",
    "непритомн", "знепритомн", "швидка допомог", "швидкої", "ношах", "ноші", "лікарн",
    "теряет сознание", "без сознания", "потерял сознание", "обморок", "скорая помощ", "скорой помощ",
    "больниц", "инфаркт", "носилк",
    "bayil", "yigil", "sedye", "ambulans", "hastane", "kalp krizi", "felc", "baygin",
]
VIOLENCE += [
    "юмрук", "удря", "пребива", "шамар", "наръга",
    "fack", "strci", "udeři", "uderi", "zbil", "udiera", "pastou", "kopn",
    "knytnaeve", "overfald", "taesk", "slar$", "slaar",
    "χαστουκ", "γροθι", "κλοτσ", "δέρν", "ξυλοκοπ", "χτυπά",
    "bualadh", "buille", "ag ciceail", "lamhach", "scian", "ionsai",
    "sakom", "tuce", "pretuk", "pretep", "brca", "udari",
    "megut", "pofon", "okollel", "megrug", "bantalmaz", "veri$", "lelo",
    "daqqa", "isawwat", "jispara", "sikkina",
    "nyrk", "hakkaa", "pahoinpitel", "tonais", "lyo$", "lyovat",
    "loob", "peksab", "tulistab", "rusika", "lukkab",
    "spardo", "saudo", "peilis", "smurt", "kumst",
    "iesit", "piekauj", "sauj", "spard",
    "б'є", "б'ють", "кулак", "побив", "стріля", "ніж", "штовха",
    "избива", "избил", "бьет", "бьёт", "стреля", "толка", "пинает",
    "yumruk", "tokat", "dovuyor", "dovdu", "vuruyor", "ates ediyor", "bicak", "tekme", "saldir",
]
ENDORSE += [
    "гласуват за", "призовава да гласуват", "подкрепя своя",
    "dali hlas", "dejte hlas", "volili", "volit jeho", "volte",
    "stem pa", "stemme pa", "bakker op om",
    "να τον ψηφίσ", "να την ψηφίσ", "υποστηρίζ",
    "tacaionn", "tacaiocht", "votail do$", "votail di$", "votail ar son",
    "glasaju za", "glasujte za", "glasujejo za", "podpira",
    "szavazzanak", "szavazzatok", "ellenfelere",
    "jappoggja", "appoggj", "ivvutaw ghal", "jivvutaw ghal", "ivvota ghal",
    "aanestamaan", "kehottaa aanest", "vastaehdokas",
    "toetab", "haaletama", "haaletage",
    "remia", "balsuoti uz", "balsuokite uz",
    "atbalsta", "balsot par", "balsojiet par",
    "підтриму", "голосувати за", "закликає голосувати",
    "поддержива", "голосовать за", "призывает голосовать",
    "destekle", "oy vermeye", "oy verin", "ona oy",
]
ROBOCALL += [
    "гласово", "telefonni nahravk", "hlasom",
    "stemmen fra", "stemme fra", "med stemmen", "opkald med", "telefonopkald",
    "τηλεφωνικό μήνυμα", "με τη φωνή",
    "i nguth", "guth$", "glao guthain",
    "automatski poziv", "samodejni klic",
    "hanguzenet",
    "bil vuci", "vuci ta", "telefonata",
    "aanellaan", "aanellaan",
    "haalega", "automaatne kone",
    "balsu$", "automatinis skambut",
    "ar balsi", "automatisk zvan",
    "голосом", "телефонний дзвінок", "запис дзвінка", "запись звонка", "голосовое сообщен",
    "sesiyle", "sesinden", "otomatik telefon", "telefon kayd", "sesli mesaj",
]
ROLE += [
    "министър", "председател", "министър-председател",
    "ministr", "predsed", "hejtman", "starosta$", "starostka",
    "formand", "partileder", "modkandidat",
    "taoiseach", "tanaiste", "uachtaran", "aire$", "iarrthoir", "teachta dala", "ceannaire", "meara",
    "predsjedni", "predsednic", "predsednik", "ministar", "zupan",
    "ministru", "sindku", "kap tal partit",
    "ministeri", "puheenjohtaja", "vastaehdokas",
    "peaminister", "minister", "kandidaat", "linnapea", "esimees",
    "premjer", "prezident", "kandidat", "meras$", "pirminink",
    "premjerministr", "priekssedetaj", "mers$",
    "прем'єр", "міністр", "кандидат", "премьер", "министр", "губернатор",
    "basbakan", "cumhurbaskan", "bakani", "baskan", "milletvekil", "aday",
    # an election body: its chair or officials, pointed at without a name
    "volebni komis", "izborn povjerenstv", "izborne komisij", "volilne komisij",
    "valasztasi bizottsag", "vaalilautakun", "valimiskomisjon", "rinkimu komisij",
    "velesanu komisij", "избирателн комиси", "виборч комісі", "secim kurul",
    "εκλογική επιτροπ", "coimisiun toghchain", "kummissjoni elettorali", "valgnaevn",
]
ROLE_SPECIFIC += [
    "nynejsi", "sucasn", "uradujuc", "siddende", "reatha", "sadasnj", "sedanj", "aktualn",
    "hivatalban levo", "attwali", "istuva", "praegune", "ametis olev", "dabartin", "pasreizej",
    "amata esos", "чинн", "нинішн", "действующ", "нынешн", "su anki", "mevcut", "gorevdeki",
]
POLLING_PLACE += [
    "изборн секци", "избирателн секци", "секционн комиси",
    "volebn mistnost", "volebn miestnost", "valglokal", "κάλπη",
    "staisiun votala", "ionad votala", "larionad votala",
    "birack mjest", "biralist", "volisc",
    "centru tal votazzjoni", "post tal votazzjoni",
    "valimisjaoskon", "rinkimu apylink", "balsavimo viet", "velesanu iecirkn",
    "виборч дільниц", "дільниц", "избирательн участ", "избирательн пункт",
    "sandik yer", "oy verme yer", "sandik bas",
]
POLLING_FALSE += [
    "зачинен", "закрит", "перенесен", "закрыт", "отменен", "скасован",
    "zavren", "zatvoren", "lukket", "dunta", "bogtha", "aistrithe", "curtha ar ceal",
    "zarva", "atkerult", "maghluq", "trasferit", "ikkancellat", "suletud", "viidud",
    "uzdaryt", "perkelt", "slegt", "parcelt", "kapali", "tasindi", "iptal", "ertelendi",
]
VOTE_WORDS += [
    "голосув", "голосова", "голосуван", "выбор", "вибор", "oy$", "oy ver", "oy kullan", "secim",
    "votail", "toghchan", "toghchain", "votazzjoni", "elezzjoni", "ivvota", "haaleta", "valim",
    "balsav", "balsuo", "rinkim", "balsot", "velesan", "volieb", "volit", "glasa",
]
FALSE_INSTRUCTION += [
    "вибори перенесено", "выборы перенесены", "выборы отменены", "valget er udsat", "volby zrusen",
    "volby byly zrusen", "secim ertelen", "izbori su odgodeni", "vaalit on siirretty",
]
# A voting channel that exists nowhere: a text message, a chat app, a social network
# (read beside a vote word, see rules.scenario_hits).
CHANNEL = [
    "sms", "esemes", "smsk", "smsem", "смс", "text message", "tekstivies", "tekstbesked",
    "theacs", "whatsapp", "facebook", "messenger", "telegram", "viber", "instagram", "tiktok",
]
BALLOT_OBJECT += [
    "бюлет", "бюллет", "hlasovac", "hlasovaci listk", "hlasovacimi listk", "stemmesedl",
    "ψηφοδέλτι", "κάλπ", "balloid", "bhosca balloide", "bhoscai balloide",
    "glasack listic", "glasacki listic", "glasovnic", "szavazolap", "szavazat",
    "kaxxi tal voti", "kaxxa tal voti", "voti$", "aanestyslip", "haaletussedel", "biuleten",
    "velesanu zim", "oy pusula", "sandik",
]
BALLOT_HARM += [
    "изгар", "изгор", "спалю", "спалил", "сжига", "сжёг", "сожж", "выброш", "свалк", "викину",
    "смітт", "palen", "pali$", "pohozen", "popelnic", "kontejner", "skladk",
    "braend", "makuler", "kvaern", "kaig", "σκουπίδ", "ndo$", "dho$", "a ndo", "spalj", "baceni",
    "bacen", "elegeti", "elegett", "eget", "jinharq", "harq", "poltt", "poletat", "degin", "dedzin", "yakil",
    "yakiyor", "atild",
]
BALLOT_DISPOSAL += [
    "в реката", "в реку", "в річку", "na skladk", "do reky", "u rijeku", "a folyoba", "f il bahar",
    "jokeen", "joele", "jõkke", "upe$", "nehre", "coplug", "copluk",
]
EXPLAIN += [
    "обясни", "поясни", "объясни", "vysvetli", "forklar", "εξήγησε", "εξηγήστε", "minigh", "objasni",
    "pojasni", "magyarazd", "spjega", "selita", "selgita", "paaiskink", "paskaidro", "acikla",
    "какво каза", "що сказав", "что сказал", "co rekl", "hvad sagde", "τι είπε", "cad a duirt",
    "sto je rekao", "mit mondott", "x qal", "mita sanoi", "ne dedi", "как се", "как считают",
    "як рахують", "hogyan", "conas", "nasil",
]
VOTE_WORDS += ["tivvota", "jivvota", "nivvota", "ivvotaw", "jivvutaw", "tivvutaw", "проголос", "zaglos"]
POLLING_PLACE += ["staisiuin votala"]
BALLOT_HARM += ["sezig", "zazig", "сожг", "сжеч", "сгорел", "жгут", "згорі"]
MEDIA += [
    "снимк", "плакат", "листовк", "видео", "фото", "відео", "оголошен", "обявлени", "объявлени",
    "φωτογραφ", "βίντεο", "αφίσα", "ανακοίνωσ", "plakat", "letak", "fotk", "opslag", "plakat",
    "grianghraf", "fisean", "postaer", "fograt", "ritratt", "filmat", "avviz", "kuva", "juliste",
    "snimk", "fotografij", "afis", "gorsel", "resim", "fotograf", "ilan", "falragasz", "fotot",
]
