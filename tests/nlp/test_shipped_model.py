"""The shipped model on obvious cases in the seven languages Grapevine must handle."""

from __future__ import annotations

import pytest

from nlp.classify import ThreeHeadClassifier

pytestmark = pytest.mark.slow

CASES = {
    "en": (
        "I absolutely love this phone, the camera is amazing and the battery lasts forever!",
        "This is the worst service ever, I am furious and disgusted with this company.",
        "My order never arrived and support won't answer my emails.",
        "FREE iPhone giveaway!!! Click here http://bit.ly/fr33 and subscribe to my channel now",
    ),
    "ru": (
        "Я просто обожаю этот телефон, камера потрясающая, а батарея держит целую вечность!",
        "Это худший сервис в моей жизни, я в ярости и мне противно от этой компании.",
        "Мой заказ так и не пришёл, а поддержка не отвечает на письма.",
        "Бесплатный iPhone!!! Переходи по ссылке http://bit.ly/fr33 и подпишись на мой канал",
    ),
    "sv": (
        "Jag älskar verkligen den här telefonen, kameran är fantastisk och batteriet håller länge!",
        "Det här är den sämsta servicen någonsin, jag är rasande och äcklad av det här företaget.",
        "Min beställning kom aldrig fram och supporten svarar inte på mina mejl.",
        "GRATIS iPhone!!! Klicka här http://bit.ly/fr33 och prenumerera på min kanal nu",
    ),
    "zh": (
        "我非常喜欢这部手机，相机太棒了，电池也特别耐用！",
        "这是我见过最差的服务，我非常愤怒，这家公司太恶心了。",
        "我的订单一直没有到，客服也不回复我的邮件。",
        "免费送iPhone！！！点击这里 http://bit.ly/fr33 并订阅我的频道",
    ),
    "de": (
        "Ich liebe dieses Handy, die Kamera ist großartig und der Akku hält ewig!",
        "Das ist der schlechteste Service aller Zeiten, ich bin wütend und angewidert.",
        "Meine Bestellung ist nie angekommen und der Support antwortet nicht.",
        "GRATIS iPhone!!! Klick hier http://bit.ly/fr33 und abonniere jetzt meinen Kanal",
    ),
    "fr": (
        "J'adore ce téléphone, l'appareil photo est incroyable et la batterie dure une éternité !",
        "C'est le pire service de ma vie, je suis furieux et dégoûté par cette entreprise.",
        "Ma commande n'est jamais arrivée et le support ne répond pas à mes mails.",
        "iPhone GRATUIT !!! Clique ici http://bit.ly/fr33 et abonne-toi à ma chaîne",
    ),
    "es": (
        "¡Me encanta este teléfono, la cámara es increíble y la batería dura muchísimo!",
        "Es el peor servicio de mi vida, estoy furioso y asqueado con esta empresa.",
        "Mi pedido nunca llegó y el soporte no responde a mis correos.",
        "¡¡¡iPhone GRATIS!!! Haz clic aquí http://bit.ly/fr33 y suscríbete a mi canal",
    ),
}


@pytest.fixture(scope="module")
def shipped() -> ThreeHeadClassifier:
    return ThreeHeadClassifier()


@pytest.mark.parametrize("language", sorted(CASES))
def test_obvious_cases(shipped: ThreeHeadClassifier, language: str) -> None:
    praise, anger, complaint = shipped.classify(list(CASES[language][:3]))
    assert praise.sentiment == "positive"
    assert anger.sentiment == "negative"
    assert complaint.complaint > 0.5
    assert praise.complaint < 0.5
    assert praise.language == language
    assert complaint.language == language


# The spam head learnt from English YouTube comments only. French link bait was a known miss
# of r2 under torch's dynamic int8; with bf16 inference (issue #14) it is caught too.
@pytest.mark.parametrize("language", sorted(CASES))
def test_spam_link_bait(shipped: ThreeHeadClassifier, language: str) -> None:
    spam = shipped.classify([CASES[language][3]])[0]
    assert spam.quality == "spam"


def test_labels_carry_name_version_and_data_digest(shipped: ThreeHeadClassifier) -> None:
    assert shipped.name == "grapevine-e5-small-3head"
    assert shipped.meta.data_digest[:12] in shipped.version
    assert len(shipped.version) <= 100
