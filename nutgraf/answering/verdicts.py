"""What decides a yes-or-no question: the sentence that speaks to it, read on its own.

A verdict is shown only when its cited sentence gives it. The sentence must state the
question's premise (every name the question uses stands in it or beside it), and the model,
shown that sentence alone, must say yes (or no) rather than "the sentence does not say". A
small model rarely reads a "no" out of "without showing any willingness to negotiate", so a
negation that governs the question's own words counts as the sentence saying no; and a plan
or an expectation ("is expected to take place") answers "Is it confirmed?" with "not decided
yet". Where nothing gives a verdict, the reader is told the article does not say whether …,
in the question's own words.
"""

from __future__ import annotations

import re

from ..records import Verdict
from .prompts import SentenceVerdict
from .spans import names_in, same_word

# Words that make a sentence a plan or an expectation rather than a settled fact.
UNSETTLED = re.compile(
    r"\b(?:expected\s+to|expects|planning|plans?\s+to|planned|reportedly|scheduled|set\s+to|likely\s+to|"
    r"proposed|hopes?\s+to|aims?\s+to|intends?\s+to|considering|under\s+discussion|not\s+yet|yet\s+to)\b",
    re.IGNORECASE,
)
# Questions that ask whether something is settled or will happen.
ASKS_IF_SETTLED = re.compile(
    r"\b(?:confirmed|decided|agreed|settled|final|official|certain|definite|scheduled|happen|"
    r"take\s+place|going\s+to|will|planned)\b",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|no|never|without|neither|nor|none|refused\s+to|declined\s+to|denied|rejected|failed\s+to|"
    r"far\s+from|instead\s+of|lack\s+of|\w+n[’']t)\b",
    re.IGNORECASE,
)
NEGATION_REACH = 6  # words after a negation that it governs ("without showing any willingness")
QUESTION_NEGATION = re.compile(r"\b(?:not|never|no|\w+n[’']t)\b", re.IGNORECASE)
WORD = re.compile(r"[\w’'-]+")
QUESTION_OPENERS = {"is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "can", "could",
                    "will", "would", "should", "may", "might", "must", "and", "but", "so"}
# The sentence alone must give the verdict this clearly: "unknown" (it does not say) and the
# other verdict together weigh less.
CLEAR_VERDICT = 0.5


def premise_stated(question: str, context: str) -> bool:
    """Whether every name the question uses stands in ``context`` (the cited sentence, its
    neighbours and the article's header): "Did the European Union comment?" is not answered
    by a story that never names the European Union."""
    lowered = context.lower()
    return all(name in lowered for name in names_in(question))


def negates(question: str, sentence: str) -> bool:
    """Whether the sentence negates the question's own words: a "no" the model cannot read."""
    if QUESTION_NEGATION.search(question):
        return False  # "Didn't he ...?" turns the sentence's "not" into a yes
    asked = {w.lower() for w in WORD.findall(question) if w.lower() not in QUESTION_OPENERS and len(w) > 3}
    for cue in NEGATION.finditer(sentence):
        governed = WORD.findall(sentence[cue.end():])[:NEGATION_REACH]
        if any(same_word(word.lower(), term) for word in governed for term in asked):
            return True
    return False


def verdict_of(question: str, sentence: str, read_alone: SentenceVerdict | None) -> Verdict | None:
    """The verdict the sentence gives the question, or None when it gives none."""
    if UNSETTLED.search(sentence) and ASKS_IF_SETTLED.search(question):
        return Verdict.NOT_DECIDED
    if read_alone is None:
        return None
    if read_alone.yes > CLEAR_VERDICT:
        return Verdict.YES
    if read_alone.no > CLEAR_VERDICT or (negates(question, sentence) and read_alone.yes < read_alone.unknown):
        return Verdict.NO
    return None


# -- "The article does not say whether ..."

DO_SUPPORT = {"did", "does", "do"}
IRREGULAR_PAST = {
    "agree": "agreed", "be": "was", "become": "became", "begin": "began", "break": "broke", "bring": "brought",
    "build": "built", "buy": "bought", "choose": "chose", "come": "came", "cut": "cut", "do": "did",
    "draw": "drew", "drive": "drove", "eat": "ate", "fall": "fell", "feel": "felt", "fight": "fought",
    "find": "found", "fly": "flew", "forget": "forgot", "get": "got", "give": "gave", "go": "went",
    "grow": "grew", "have": "had", "hear": "heard", "hide": "hid", "hit": "hit", "hold": "held",
    "keep": "kept", "know": "knew", "lead": "led", "leave": "left", "lend": "lent", "let": "let",
    "lose": "lost", "make": "made", "mean": "meant", "meet": "met", "pay": "paid", "put": "put",
    "read": "read", "ride": "rode", "rise": "rose", "run": "ran", "say": "said", "see": "saw", "seek": "sought",
    "sell": "sold", "send": "sent", "set": "set", "shake": "shook", "show": "showed", "shut": "shut",
    "sit": "sat", "speak": "spoke", "spend": "spent", "stand": "stood", "steal": "stole", "strike": "struck",
    "swear": "swore", "take": "took", "teach": "taught", "tell": "told", "think": "thought", "throw": "threw",
    "understand": "understood", "wake": "woke", "wear": "wore", "win": "won", "write": "wrote",
}
DOUBLED_FINAL = {"stop": "stopped", "plan": "planned", "ban": "banned", "drop": "dropped", "admit": "admitted",
                 "commit": "committed", "ship": "shipped", "step": "stepped", "veto": "vetoed"}


def whether_clause(question: str) -> str | None:
    """"Did the Kremlin welcome the idea?" → "whether the Kremlin welcomed the idea"; None when
    the question is not a plain yes-or-no question its parse can turn around."""
    from ..analysis.analyzer import spacy_pipeline

    doc = spacy_pipeline()(question.strip().rstrip("?").strip())
    tokens = list(doc)
    if len(tokens) < 2 or tokens[0].lower_ not in QUESTION_OPENERS - {"and", "but", "so"}:
        return None
    opener = tokens[0].lower_
    root = next((t for t in tokens if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    if root.i == 0:  # "Was the conference a dialogue?": the subject is the root's subject
        subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
        if subject is None:
            return None
        end = max(t.i for t in subject.subtree) + 1
        return _clause(doc[1:end].text, opener, doc[end:].text)
    # The subject runs from the opener to the first adverb or to the root verb.
    end = next((t.i for t in tokens[1:root.i] if t.dep_ in ("advmod", "neg")), root.i)
    if end <= 1:
        return None
    if opener in DO_SUPPORT:  # "did ... welcome" → "welcomed"
        words = [doc[1:end].text, doc[end:root.i].text, _inflected(root.lower_, opener), doc[root.i + 1:].text]
        return " ".join(" ".join(["whether", *words]).split())
    return _clause(doc[1:end].text, opener, doc[end:].text)


def _clause(subject: str, auxiliary: str, rest: str) -> str:
    return " ".join(f"whether {subject} {auxiliary} {rest}".split())


def _inflected(verb: str, opener: str) -> str:
    if opener == "do":
        return verb
    if opener == "does":
        if verb == "have":
            return "has"
        return verb + "es" if verb.endswith(("s", "sh", "ch", "x", "o")) else \
            (verb[:-1] + "ies" if verb.endswith("y") and verb[-2:-1] not in "aeiou" else verb + "s")
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb in DOUBLED_FINAL:
        return DOUBLED_FINAL[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"
