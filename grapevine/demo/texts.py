"""What the demo's people say: short posts, reviews and replies written for the demo.

Every sentence here was written for Grapevine's demo (none is taken from a data set or a
real post). ``{b}`` is the brand the mention is about. Each language has the same moods so
that the language filter and the multilingual classifier have something to show:

- ``positive`` / ``neutral``: everyday talk;
- ``complaint``: a problem that calls for a remedy, keyed by topic so complaint topics
  cluster;
- ``incident``: what people say during an outage (the spike of the demo's last day), with
  the words the example keyword rules look for ("outage", "crash", "recall", …);
- ``reply``: an answer from the brand's own account.
"""

from __future__ import annotations

__all__ = ["CATEGORY", "MOODS", "REPLIES", "TOPICS"]

#: topic -> English complaints; other languages have one line per topic below
TOPICS: dict[str, list[str]] = {
    "app": [
        "The {b} app crashes every time I open it after the last update. Uninstalled and "
        "reinstalled, still crashes on the login screen.",
        "{b} app keeps logging me out and the login code never arrives. Fix the login please.",
    ],
    "waiting": [
        "Waited 25 minutes for my {b} pickup and then it got cancelled without any reason. "
        "Missed my appointment.",
        "Third time this week {b} made me wait over twenty minutes. The wait times are getting "
        "ridiculous.",
    ],
    "billing": [
        "{b} charged my card twice for the same trip and support still has not refunded it.",
        "Got billed for a cancelled trip by {b}. Where is my refund?",
    ],
    "support": [
        "Opened a ticket with {b} support a week ago and nobody has answered. Is anyone there?",
        "{b} support closed my ticket without fixing anything. Really disappointing service.",
    ],
    "dropoff": [
        "{b} dropped me off two blocks from the address I entered, in the rain. The map "
        "pin was right.",
        "Why does {b} keep choosing the worst drop-off spot? Had to walk back across a "
        "busy street.",
    ],
}

#: language -> mood -> lines
MOODS: dict[str, dict[str, list[str]]] = {
    "en": {
        "positive": [
            "Took {b} to the airport this morning and it was smooth, clean and on time. Love it.",
            "Honestly {b} has become my favourite way to get around downtown. Great experience.",
            "The new {b} update is really good, everything feels faster and the design is nicer.",
            "Impressed by how {b} handled the busy intersection tonight. Calm and confident.",
            "{b} support sorted out my issue in ten minutes. Friendly and helpful, thank you!",
            "Five stars for {b}. Reliable every single time, I recommend it to everyone.",
            "My parents tried {b} for the first time and loved it. They want to use it again.",
            "Great job {b}, the new features are exactly what I wanted.",
        ],
        "neutral": [
            "Does anyone know if {b} works the same way on weekends? Planning a trip next month.",
            "How does {b} compare with the alternatives in your city? Curious about prices.",
            "{b} announced new service areas today, details on their blog.",
            "Is there a way to export my trip history from {b}? Looking for the setting.",
            "Anyone here using {b} for a daily commute? What is your routine?",
            "Reading the {b} release notes for this week. Mostly small changes.",
        ],
        "incident": [
            "Is {b} down? The app shows an error for everyone here, total outage tonight.",
            "{b} outage again. Stuck with no ride and no update from the company. Unacceptable.",
            "Whole {b} service went down during rush hour. Cars stopped, app crash, no "
            "information at all.",
            "The {b} outage ruined my evening, waited an hour and nothing. Terrible.",
            "{b} had a major outage today and support is silent. Very frustrating.",
            "After today's outage I am done with {b}. Refund me and fix your service.",
            "Heard people are talking about a lawsuit after the {b} outage. Not surprised.",
            "{b} app crash on every launch since this afternoon. Broken for everyone?",
        ],
    },
    "de": {
        "positive": [
            "Heute zum ersten Mal {b} ausprobiert und es war super, pünktlich und sauber.",
            "{b} ist wirklich toll geworden, das neue Update gefällt mir sehr.",
            "Sehr zufrieden mit {b}, klare Empfehlung.",
        ],
        "neutral": [
            "Weiß jemand, ob {b} auch in Berlin starten will?",
            "Wie sind eure Erfahrungen mit {b} im Alltag?",
        ],
        "complaint": [
            "Die {b} App stürzt nach dem Update ständig ab, Anmeldung unmöglich.",
            "{b} hat mich doppelt belastet und der Support antwortet nicht. Ärgerlich.",
            "Schon wieder zwanzig Minuten auf {b} gewartet und dann storniert.",
        ],
        "incident": [
            "{b} ist komplett ausgefallen, die App zeigt nur Fehler. Was für ein Chaos.",
            "Totaler Ausfall bei {b} heute Abend, niemand informiert die Kunden. Schlecht.",
        ],
    },
    "fr": {
        "positive": [
            "Premier trajet avec {b} aujourd'hui, tout était parfait. J'adore.",
            "La nouvelle version de {b} est vraiment réussie, bravo à l'équipe.",
            "Très content de {b}, rapide et fiable.",
        ],
        "neutral": [
            "Quelqu'un sait si {b} arrive bientôt en Europe ?",
            "Vous utilisez {b} tous les jours ? Je me renseigne.",
        ],
        "complaint": [
            "L'application {b} plante à chaque ouverture depuis la mise à jour.",
            "{b} m'a facturé deux fois et le service client ne répond pas.",
            "Encore une attente de vingt minutes avec {b}, puis annulation. Inacceptable.",
        ],
        "incident": [
            "Panne générale chez {b} ce soir, impossible de faire quoi que ce soit. Nul.",
            "{b} est en panne depuis une heure et aucune information. Très déçu.",
        ],
    },
    "es": {
        "positive": [
            "Probé {b} hoy y fue genial, puntual y muy cómodo.",
            "Me encanta la nueva versión de {b}, todo funciona mejor.",
            "{b} es excelente, lo recomiendo a todos.",
        ],
        "neutral": [
            "¿Alguien sabe si {b} funciona igual los fines de semana?",
            "¿Qué tal vuestra experiencia con {b}? Estoy pensando en probarlo.",
        ],
        "complaint": [
            "La app de {b} se cierra sola desde la actualización, no puedo entrar.",
            "{b} me cobró dos veces y soporte no contesta. Quiero mi reembolso.",
            "Otra vez esperé veinte minutos a {b} y luego cancelaron el viaje.",
        ],
        "incident": [
            "{b} está caído, la app no funciona para nadie. Qué desastre.",
            "Caída total de {b} esta noche y ninguna explicación. Muy mal.",
        ],
    },
    "pt": {
        "positive": [
            "Usei {b} hoje pela primeira vez e adorei, tudo muito tranquilo.",
            "{b} está cada vez melhor, ótima experiência.",
        ],
        "neutral": ["Alguém sabe quando {b} chega ao Brasil?"],
        "complaint": [
            "O app do {b} trava toda hora depois da atualização.",
            "{b} cobrou duas vezes e o suporte não responde. Péssimo.",
        ],
        "incident": ["{b} fora do ar de novo, ninguém consegue usar. Que vergonha."],
    },
    "ja": {
        "positive": [
            "{b}を初めて使ったけど、とても快適で時間通りだった。最高。",
            "{b}の新しいアップデート、すごく使いやすくなった。",
        ],
        "neutral": ["{b}は週末も同じように使えますか？"],
        "complaint": [
            "{b}のアプリがアップデート後に毎回落ちる。ログインできない。",
            "{b}で二重に請求された。サポートから返事がない。",
        ],
        "incident": ["{b}が全く使えない。障害が起きているのに何の説明もない。最悪。"],
    },
}

#: what the brand's own account answers, per language
REPLIES: dict[str, list[str]] = {
    "en": [
        "Hi, this is the {b} team. Sorry about this! We have sent you a direct message to sort "
        "it out.",
        "Thanks for flagging this. The {b} team is looking into it and will follow up by email "
        "today.",
        "We're sorry for the trouble. A {b} specialist has refunded the trip; let us know if "
        "anything else is wrong.",
    ],
    "de": ["Hallo, hier ist das {b} Team. Das tut uns leid, wir melden uns per Nachricht."],
    "fr": ["Bonjour, ici l'équipe {b}. Désolés, nous vous contactons en message privé."],
    "es": ["Hola, somos el equipo de {b}. Lo sentimos, te escribimos por mensaje privado."],
    "pt": ["Olá, aqui é a equipe {b}. Sentimos muito, vamos falar por mensagem privada."],
    "ja": ["{b}チームです。ご迷惑をおかけして申し訳ありません。メッセージでご連絡します。"],
}

#: talk in the brand's category that names no brand; {c} is a category term
CATEGORY: list[str] = [
    "Everyone at work is talking about {c} this week. Mixed feelings here.",
    "Long thread about {c} on the local forum, worth a read.",
    "Is {c} getting better or worse? Curious what you all think.",
    "New report on {c} out today, the findings are interesting.",
    "Our city council is debating {c} again tonight.",
]
