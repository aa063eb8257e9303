"""Queries with and without an answer, for choosing and checking the relevance decision.

Answerable sets are bench.datasets' (XQuAD Hindi and English questions, EN->HI
sentences) and the first four romanized words of Dakshina dev sentences.  The
no-answer sets are made from them and from lists written here:

* *answer removed*: an answerable query with its relevant article taken out
  of both sides' rankings (XQuAD keeps about five paragraphs per Wikipedia
  article and FLORES several sentences per Wikinews story, so a neighbour is
  often still a fair answer: this set is an upper bound on the noise);
* *absent topics*: queries about topics none of the corpora cover, in Hindi,
  English and romanized Hindi.  :func:`absent_for` keeps, per corpus, only the
  queries none of whose words that corpus holds (checked on the index, with
  expansion off), so each is a real "the archive does not hold this".
"""

from __future__ import annotations

#: Topics a news archive of disasters, Wikipedia science pages and COVID reports does not cover.
ABSENT_TOPICS: tuple[str, ...] = (
    # Hindi
    "क्रिकेट", "आईपीएल क्रिकेट फाइनल", "लखनऊ मेट्रो", "बॉलीवुड फिल्म रिलीज", "शेयर बाजार सेंसेक्स",
    "बिरयानी बनाने की विधि", "शतरंज चैंपियनशिप", "विंबलडन टेनिस", "योग दिवस", "दिवाली पटाखे",
    "कुत्ते का पिल्ला", "पेट्रोल डीजल के दाम", "शादी का लहंगा", "मोबाइल रिचार्ज प्लान", "सरसों का साग",
    "तबला वादक", "पतंगबाजी", "चिड़ियाघर बाघ", "गोलगप्पे", "साइकिल रेस",
    # English
    "bitcoin", "IPL cricket", "Bollywood box office", "stock market crash", "biryani recipe",
    "chess championship", "Wimbledon tennis final", "yoga day", "Diwali firecrackers", "petrol diesel prices",
    "wedding lehenga", "mobile recharge plans", "kite flying festival", "zoo tiger cub", "cycling race",
    # romanized Hindi
    "cricket match", "lucknow metro", "shaadi ka lehenga", "petrol ke daam", "biryani kaise banaye",
    "patang baazi", "golgappe", "tabla vadak", "diwali ke patakhe", "sarson ka saag",
)
