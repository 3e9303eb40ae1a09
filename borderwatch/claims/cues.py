"""Report-language cues the claim detectors look for: one compiled pattern per cue, named for what it
marks, so that the detectors (measures.py, statements.py, extract.py) read as rules, not regexes."""

from __future__ import annotations

import re

CURRENCY_UNIT = {"CNY": "yuan", "USD": "usd", "KPW": "kpw", "KRW": "krw", "EUR": "eur", "JPY": "yen", "RUB": "rub"}
IMAGERY_RE = re.compile(
    r"\b(?:photo(?:graph)?(?:s|ed)?|images?|imagery|footage|videos?|pictures?|satellite|taken|captured|filmed)\b",
    re.IGNORECASE,
)
BLANKET_IMAGERY_RE = re.compile(r"^\W*(?:all|these|the)\s+(?:photos|photographs|images|pictures)\b", re.IGNORECASE)
PRICE_CONTEXT_RE = re.compile(
    r"\b(?:price[sd]?|cost[s]?|sell(?:s|ing)?|sold|bought|buy|purchas\w*|fetch\w*|pay|paid|fare[s]?|"
    r"ticket|earn\w*|profit\w*|pocket|make|made|loss|charg\w+|worth|obtained|valued)\b|\beach\b|\bapiece\b",
    re.IGNORECASE,
)
# not "Chinese-made", nor "a bike made by a Chinese company" / "made in China" (who built it)
PROFIT_RE = re.compile(r"\b(?:earn\w*|profit\w*|pocket\w*|(?<!-)make(?!\s+(?:of|by|in)\b)|(?<!-)made(?!\s+(?:by|in|from)\b)|margin|gain\w*)\b",
                       re.IGNORECASE)
LOSS_RE = re.compile(r"\b(?:loss\w*|(?<!or )less|hit|below|shortfall)\b", re.IGNORECASE)
RENT_RE = re.compile(r"\b(?:rent\w*|hire[sd]?|hiring|leas(?:e|es|ed|ing))\b", re.I)
RENT_PERIODS = tuple((re.compile(rf"\s*(?:a|per|each|every)\s+{u}\b", re.I), u) for u in ("day", "week", "month", "year", "hour"))
FARE_RE = re.compile(r"\b(?:fares?|ticket|(?:for|per) (?:a |one |each )?ride|(?:a|one|each) (?:[\w\-]+ )?ride (?:in|on|across|from|to|between)|per passenger|per trip|per (?:person|head|seat)|a (?:head|seat)|"
                     r"(?:route|journey|trip)s? (?:from|to|between))\b", re.IGNORECASE)  # "the route from A to B costs 100 yuan"
LICENSE_RE = re.compile(r"\b(?:licen[cs]es?|permits?|waku|certificates?|registration)\b", re.IGNORECASE)
BRIBE_RE = re.compile(r"\b(?:bribes?|customs office)\b", re.IGNORECASE)
PRONOUN_SUBJECT_RE = re.compile(r"\b(?:it|they|these|those|them|ones|this)\b", re.IGNORECASE)
ELLIPSIS_AFTER_RE = re.compile(
    r"^\s*(?:more\b|of (?:them|these|those|the)\b|(?:were|was|are|is|had|have|turned|came|arrived|remain\w*|stood|sat|"
    r"can|could|"
    # "tractors ..., with at least 20 arriving by rail": the number's noun is left out before a participle
    r"arriving|crossing|entering|leaving|waiting|parked|queued|queuing|lined|heading|passing|standing|sitting|"
    r"seen|spotted|visible|stuck|loaded|carrying)\b)",
    re.IGNORECASE,
)
# "motorcycle taxis now number in the hundreds": the verb "number" puts the figure on its subject
NUMBER_VERB_BEFORE_RE = re.compile(r"(?<!\bthe )(?<!\ba )\bnumber(?:s|ed)?\s+(?:in\s+the\s+|at\s+)?$", re.I)
# "Now there are more than 50,": a figure that closes its clause after "there are" counts the vehicles
# named just before
THERE_ARE_BEFORE_RE = re.compile(r"\bthere\s+(?:are|were|is|was)\s+(?:now\s+|still\s+|already\s+)?$", re.I)
CLAUSE_END_AFTER_RE = re.compile(r"\s*(?:[,.;:!?\"”’)]|$)")
EMPTY_PLACE_RE = re.compile(r"\b(?:empty|deserted|unused|idle|out of use)\b", re.I)
# ", which carry flour, coal and steel, have been": a relative clause set off by commas, then the verb
RELATIVE_GAP_RE = re.compile(r"\s*,\s*(?:which|who|that|many of which|some of which|most of which|"
                             # an aside on the subject: "Taxis, once a rarity in the city, have multiplied"
                             r"once|formerly|long|previously|until recently|until a few years ago)\b[^.;:]{0,140},"
                             r"\s*(?:[\w’'\-]+\s+){0,4}$", re.I)
# the aside itself, to read past it: "The bridge, which had been busy all summer, fell silent"
ASIDE_RE = re.compile(r",\s*(?:which|who|that|once|formerly|long|previously|until recently)\b[^.;:,]{0,140},", re.I)
# "Kim, a trader who left Hyesan in 2019, said ...": the aside is about the person speaking; its dates
# and places are the person's, never the vehicles'
PERSON_ASIDE_RE = re.compile(r",\s*(?:(?:a|an|the)\s+(?:[\w\-’']+\s+){0,5}?)?who\b[^.;:,]{0,140},", re.I)
# "The roads, usually crowded with military trucks, were empty": what is usual is not what was observed
HABITUAL_ASIDE_RE = re.compile(r",\s*(?:usually|normally|typically|ordinarily|often|once|formerly|long)\b[^.;:,]{0,140},", re.I)
# "the number of taxis operating in Pyongyang is estimated at": a figure that belongs to the vehicles named
NUMBER_OF_RE = re.compile(r"\b(?:number|total|fleet|count|tally)\s+of\s+", re.I)
COPULA_BEFORE_RE = re.compile(
    r"\b(?:is|was|are|were|stands?|stood|reached|reaches|totals?|totall?ed|exceeds?|exceeded|hit|hits|"
    r"(?:rose|fell|grew|dropped|climbed|increased|decreased|jumped|plunged|risen|fallen|grown) to|"
    r"(?:estimated|believed|thought|said|reported|put|pegged|counted)(?: to be| at)?)\s+"
    r"(?:at\s+)?(?:only\s+|just\s+)?$", re.I)
# a price moved to its new level: "has fallen to", "rose from ... to", "climbed to"
PRICE_MOVED_TO_RE = re.compile(r"\b(?:ris(?:en|e|es|ing)|rose|f(?:a|e)ll(?:en|s|ing)?|dropp(?:ed|ing)|climb(?:ed|s|ing)|"
                               r"jump(?:ed|s)|soar(?:ed|s)|doubl(?:ed|es)|plung(?:ed|es)|increas(?:ed|es)|decreas(?:ed|es))"
                               r"\s+(?:\w+\s+){0,5}?to\b", re.I)
# "Unlike last year, taxis are now easy to find": the date is what the claim is set against
CONTRAST_DATE_RE = re.compile(r"\b(?:unlike|compared (?:with|to)|as opposed to|than|(?:shift|change|departure|turnaround) from)"
                              r"\s+(?:in\s+|during\s+)?$", re.I)
COMPARED_FROM_RE = re.compile(r"\b(?:up|down) from\b", re.I)
# "dropped from 12 to just three": a change between two levels; the second is the level now, the first
# the level before (neither is a count of the change)
# (also the verbs of CHANGE_BY_RE: "fell 40%")
_CHANGE_VERB = (r"(?:rose|risen|rises|fell|fallen|falls|dropped|drops|grew|grown|grows|climbed|increased|decreased|"
                r"declined|jumped|plunged|plummeted|shrank|shrunk|slumped|surged|soared|tumbled|slid|sank|dwindled|"
                r"went|gone|doubled|tripled|halved|recovered)")
_CHANGED_FROM = rf"\b{_CHANGE_VERB}\s+(?:[\w’'\-]+\s+){{0,2}}?from\s+"
_FROM_TO = _CHANGED_FROM + r"[^;:]{1,40}?\s+to"
LEVEL_CHANGE_RE = re.compile(_FROM_TO + r"\b", re.I)
CHANGED_TO_BEFORE_RE = re.compile(_FROM_TO + r"\s+(?:at\s+)?(?:only\s+|just\s+|a\s+mere\s+|barely\s+)?$", re.I)
CHANGED_FROM_BEFORE_RE = re.compile(_CHANGED_FROM + "$", re.I)
# "now sells for $12,000, about twice what it fetched two years ago": the date dates the level compared with
EARLIER_LEVEL_RE = re.compile(r"\b(?:(?:up|down) from|(?:twice|double|triple|half|times|more than|less than|(?<!more )than)\s+"
                              r"(?:what\s+(?:it|they|one|a\s+\w+)\s+(?:\w+\s+)?(?:fetched|cost|sold|was|were|did|went)))\b", re.I)
# "has not slowed", "haven't yet resumed": a change denied is no change
NEGATED_TRIGGER_RE = re.compile(r"(?:\b(?:not|never)|n['’]t)\s+(?:(?:yet|been|even|really|much|significantly|substantially)\s+)?$", re.I)
# "Trucks laden with rice, flour and cooking oil have been crossing": commas inside a list that the
# subject carries, which end with "and"/"or" and its last item before the verb
SUBJECT_LIST_TAIL_RE = re.compile(r"[^,;:.]*\b(?:with|of|carrying|laden|loaded|including|such as|like)\b[^;:.]*,[^,;:.]*?\b(?:and|or)\s+"
                                  r"(?:[\w’'\-]+\s+){1,6}$", re.I)
CONDITION_BEFORE_RE = re.compile(r"\b(?:if|unless|whether|in case)\b[^,;:]*$", re.I)
# "told Daily NK on Oct. 10", "said on Monday": the date of the telling
SPEECH_DATE_RE = re.compile(r"\b(?:told|tells|said|says|reported|wrote|added|explained|noted|claimed)\b(?:\s+[\w’'\-]+){0,3}?"
                            r"\s+(?:on|in|last)\s*$", re.I)
# (a smuggler's "earn ... per truck" is a profit per vehicle, PROFIT_RE; a driver's pay is no vehicle price)
WAGE_RE = re.compile(r"\b(?:(?:are|is|were|was|get|gets|got)\s+paid|wages?|salar(?:y|ies)|earn(?:s|ed|ing)?|income)\b(?:\s+\w+){0,3}\s*$", re.I)
# "four or five trucks at most", "20 trucks at least": a bound put after the noun counted
POST_BOUND_RE = re.compile(r"\s*,?\s*(?:(?P<upper>at (?:the )?most|at the outside|max(?:imum)?)|(?P<lower>at (?:the )?least|or more))\b", re.I)
NOT_BEFORE_RE = re.compile(r"\bnot\s+(?:even\s+)?$", re.I)
PRICE_BOUND_RE = re.compile(r"(?:(?P<lower>in excess of|more than|over|at least|upwards of|above)|"
                            r"(?P<upper>up to|as much as|no more than|at most|under|less than|below))\s+$", re.I)
_GOODS = r"(?:kilograms?|kilos?|kg|grams?|litres?|liters?|tons?|tonnes?|sacks?|bags?|pounds?|bottles?|meals?)"
GOODS_PRICE_RE = re.compile(rf"\b(?:a|one|per|each|every)\s+{_GOODS}\s+of\s+[\w\-]+\s+(?:\w+\s+){{0,2}}?$", re.I)
GOODS_AFTER_RE = re.compile(rf"\s*(?:per|a|each)\s+{_GOODS}\b", re.I)
INFRA_SUBJECT_RE = re.compile(r"\b(?:bridges?|(?:border |vehicle |truck )?crossings|crossing points?|customs (?:posts?|areas?|"
                              r"facilit(?:y|ies)|stations?)|checkpoints?|roads?|streets?|highways?|car parks?|parking lots?|"
                              r"yards?)\b(?:(?!\b(?:trade|prices?|demand|relations|exports|imports|goods)\b)[^,;])*$", re.I)
NOT_TRAFFIC_RE = re.compile(r"\b(?:trade|prices?|demand|relations|exports|imports|goods|business|tensions?|security|"
                            r"construction|work|controls?|crackdowns?)\b", re.I)
DATELINE_TAIL_RE = re.compile(r"(?:,?\s+(?:19|20)\d\d)?\s*\([A-Za-z .]+\)\s*(?:--|—|–|-|:)")
THAN_RE = re.compile(r"\b(?:than|compared (?:with|to))\s+(?:(?:it|they|there|one) (?:did|was|were|had been)\s+)?(?:in\s+|during\s+|at\s+)?$", re.I)
MORE_USERS_RE = re.compile(r"\bmore (?:and more )?(?:people|residents|households|families|traders|North Koreans|users|"
                           r"drivers|riders|buyers|owners) (?:are |were |have been )?(?:riding|using|buying|driving|owning|"
                           r"ride|use|buy|drive|own)\b", re.I)
AFTER_EVENT_RE = re.compile(r"\b(?:after|following|since|ending)\s+(?:a|an|the|its|their)?\s*"
                            r"(?:(?!(?:was|were|is|are|had|has|have|been)\b)[\w\-]+\s+){0,3}$", re.I)
# "can be sold for", "stand to gain": a price a vehicle would fetch, observed at no time
HYPOTHETICAL_RE = re.compile(r"\b(?:can|could|would|might|stand(?:s)? to|able to)\b", re.I)
# "halted for a day", "closed briefly", "until Oct. 10": a halt that ended
HALT_ENDED_RE = re.compile(r"\b(?:until|till|briefly|temporarily|for (?:a|one|two|three|several|a few) (?:days?|hours?|weeks?)|"
                           r"overnight|for the day|for the holiday|that day)\b", re.I)
HALTED_STATE_RE = re.compile(r"\b(?:completely|entirely|totally|fully)\b|^\W*since then\b", re.I)
# "N percent of <what>": up to five words after "of" say what the share is of
SHARE_OF_RE = re.compile(r"\s+of\s+((?:[\w’'\-]+\s*){1,5})")
_ABOUT = r"(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+|some\s+|over\s+|more than\s+)?"
# "decreased by 40 percent", and the headline form "down 40 percent (from a year earlier)"
CAPACITY_BEFORE_RE = re.compile(r"\b(?:(?:large|big|wide|enough)\s+(?:enough\s+)?(?:to\s+(?:hold|accommodate|fit|take)|for)|"
                                r"room\s+for|space\s+for|capacity\s+(?:of|for)|can\s+(?:hold|accommodate|handle|take)|"
                                r"(?:able|designed|built)\s+to\s+(?:hold|accommodate|handle|take))\s+(?:up\s+to\s+|about\s+|around\s+|some\s+|nearly\s+|roughly\s+)?$",
                                re.I)
COPULA_END_RE = re.compile(r"\b(?:are|were|is|was|remain|remained)\s+$", re.I)
CHANGE_BY_RE = re.compile(rf"(?:\bby\s+{_ABOUT}|\b(?:up|down)\s+{_ABOUT}|"
                          # "exports of trucks fell 40% in September": the verb of change right before the figure
                          rf"\b{_CHANGE_VERB}\s+{_ABOUT})$", re.I)
# "30 percent more than last year", "20 percent fewer trucks than": a change against a comparison,
# not a share of anything
COMPARED_AFTER_RE = re.compile(r"\s+(?:(?P<up>more|higher|greater|dearer|costlier|pricier|up)|"
                               r"(?P<down>fewer|less|lower|cheaper|smaller|down))\b(?=[^.;]*\bthan\b)", re.I)
LOAD_EACH_RE = re.compile(r"(?:\s+[\w\-]+){0,3}?\s+(?:each|apiece|per (?:truck|vehicle|lorry|trip|load)|a (?:truck|trip))\b", re.I)
LOAD_VERB_RE = re.compile(r"\b(?:load\w*|unload\w*|carr(?:y|ies|ied|ying)|haul\w*|transport\w*)\b", re.I)
PRONOUN_ONE_RE = re.compile(r"\s+(?:could|can|would|should|may|might|must|will|has|had|who|that)\b", re.I)
LOAD_RE = re.compile(r"^\s*(?:metric\s+)?(?:tons?|tonnes?|t\b|kilograms?|kg\b)(?:\s+of\s+[\w\-]+)?", re.IGNORECASE)
PEOPLE_RE = re.compile(r"^\s*(?:people|persons|individuals|families|households|men|women|workers|passengers|traders|investors)\b", re.IGNORECASE)
CAPTION_MAX_WORDS = 20
# "... of the vehicles (parked) are/were <class>": the share of one class among all vehicles
CLASS_SHARE_RE = re.compile(
    r"\b(?:of|among)\s+(?:the\s+|all\s+|these\s+)?(?:\w+\s+){0,2}?(?:vehicles|traffic)\b(?:\s+\w+){0,4}?\s+(?:are|were|was|is)\b|"
    # "the vehicles in the yard were mainly buses", "45 vehicles, mostly trucks": the share of one type
    r"\b(?:vehicles|traffic)\b(?:\s+[\w\-]+){0,5}?(?:\s+(?:are|were|was|is)|,)\s+(?:mainly|mostly|predominantly|chiefly|primarily)\b",
    re.I,
)
ATTRIBUTE_RE = re.compile(r"^\s*(?:\w+\s+)?(?:used|new|second-hand|secondhand|old|chinese|smuggled|imported|foreign|"
                          r"unregistered|private|state-owned|without|with)\b", re.I)
PHOTO_CREDIT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp)\b|\bfile photo\b|\bPhoto by\b|\(Photo\b|\bImagery\s*=|©|ⓒ", re.I)
# "car smugglers are growing frustrated": the vehicle word qualifies people, who are the subject
PERSON_NOUN_RE = re.compile(r"\s+(?:smugglers?|dealers?|traders?|owners?|drivers?|importers?|buyers?|sellers?|"
                            r"investors?|brokers?|companies|company|business|industry)\b", re.I)
REPORTING_RE = re.compile(r"\b(?:tracked|reported|reports|interview(?:s|ed)?|spoke|surveyed|investigat\w+|visited)\b", re.I)
PRONOUN_REACH = 30  # characters between a trend word and the pronoun that carries its subject
# A rule about vehicles, not an observation of them (conventions: "purely legal or policy statements
# are not claims"): "people can only ride motorcycles at rush hour", "cars with odd plates have been
# allowed on the roads on alternate days", "restrictions on the use of motorcycles", "a motorcycle ban".
POLICY_RE = re.compile(
    r"\b(?:(?:can|may|must)\s+only|(?:are|is|were|was|been|be)\s+(?:only\s+|now\s+|no longer\s+)?(?:allowed|permitted|"
    r"banned|prohibited|forbidden|barred)|restrictions?\s+on|regulations?|rules?\b(?!\s+out)|bans?\b(?!\s+on\s+(?:the\s+)?(?:export|import))|"
    r"requir(?:e|es|ed|ing)\s+(?:a\s+)?(?:licen[cs]es?|permits?|registration)|(?:have|has|had)\s+to\s+register|"
    # "vehicles must pass stringent checks before loading": what is demanded of them
    r"(?:must|have to|has to|are required to|is required to)\s+(?:first\s+)?(?:pass|undergo|obtain|get|carry|display|be\s+inspected))",
    re.IGNORECASE,
)

