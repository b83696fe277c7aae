"""Function words of the languages we label, for a stopword-density feature.

Running prose is dense in function words ("the", "of", "und", "的"); menus, headlines, widgets
and teasers are not. jusText leans on the same signal. One set covers all languages: a token
counts if it is a function word in any of them.
"""

from __future__ import annotations

_LISTS = {
    "en": """a about above after again against all am an and any are as at be because been before
        being below between both but by can could did do does doing down during each few for from
        further had has have having he her here hers herself him himself his how i if in into is it
        its itself just me more most my myself no nor not now of off on once only or other our ours
        out over own same she should so some such than that the their theirs them then there these
        they this those through to too under until up very was we were what when where which while
        who whom why will with would you your yours also however although though since yet still
        may might must shall one its it's i'm don't can't won't isn't there's that's""",
    "de": """der die das den dem des ein eine einer eines einem einen und oder aber doch sondern
        ist sind war waren wird werden wurde wurden hat haben hatte hatten sein seine ihr ihre es
        er sie wir ich du nicht auch noch nur schon sehr mit von zu zum zur bei nach aus auf an in
        im am um für über unter vor durch gegen ohne dass daß wenn als wie so dann denn weil ob
        was wer man sich mehr kann können muss müssen soll sollen will wollen diese dieser dieses""",
    "fr": """le la les l un une des du de d et ou mais donc or ni car est sont était étaient sera
        a ont avait avaient être avoir il elle ils elles on nous vous je tu ne pas plus que qui
        quoi dont où ce cet cette ces son sa ses leur leurs se en dans sur sous avec pour par
        sans chez entre vers au aux comme si aussi très déjà encore tout tous toute toutes""",
    "es": """el la los las lo un una unos unas y o pero sino ni que de del al a en con por para sin
        sobre entre hasta desde es son era eran fue fueron ser está están estaba ha han había
        haber se su sus le les me te nos os yo tú él ella ellos ellas nosotros no más muy también
        como cuando donde porque si ya este esta estos estas ese esa esos esas otro otra todo""",
    "it": """il lo la i gli le un uno una e ed o ma però che di del dello della dei degli delle a al
        allo alla ai agli alle da dal dalla in nel nello nella nei negli nelle con su sul sulla
        per tra fra è sono era erano stato stata essere ha hanno aveva avere si non più anche
        come quando dove perché se già questo questa questi queste quello quella suo sua loro""",
    "pt": """o a os as um uma uns umas e ou mas que de do da dos das em no na nos nas por pelo pela
        para com sem sobre entre até é são era eram foi foram ser está estão estava tem têm tinha
        ter se seu sua seus suas lhe não mais muito também como quando onde porque já este esta
        estes estas esse essa isso isto aquele aquela ao aos à às""",
    "nl": """de het een en of maar dat die dit deze van in op te aan met voor door bij uit naar om
        over is zijn was waren wordt worden werd heeft hebben had ik je jij hij zij ze wij we
        niet ook nog al wel er als dan want omdat wanneer hoe wat wie""",
    "ru": """и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
        ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
        быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
        есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет""",
    "pl": """i w we z ze na do nie się to że jest są był była było jak ale o od po za przez dla
        tak już oraz czy jego jej ich ten ta te tego który która które co gdy także można""",
    "tr": """ve bir bu da de için ile olarak daha çok gibi ama ancak en kadar sonra olan olduğu
        ise mi değil her şey ne o ki""",
    # CJK: the tokenizer makes each character a token; these are the commonest particles.
    "zh": "的 了 是 在 和 也 有 就 不 都 而 及 与 这 那 他 她 它 们 我 你 之 为 以 于 被 把 对 从 到 但 还 又",
    "ja": "の に は を た が で て と し れ さ ある いる も な から まで より こと これ それ ため",
}

STOPWORDS: frozenset[str] = frozenset(w for words in _LISTS.values() for w in words.split())
