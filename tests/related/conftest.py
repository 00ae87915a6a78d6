import pytest

from nutgraf import Nutgraf
from nutgraf.llm.scripted import ScriptedModel
from tests.conftest import FIXTURES

# Questions the scripted model writes, by words of the part of the sentence they are for.
QUESTIONS = {
    "expected to begin": "When will construction of the Riverside footbridge begin?",
    "budget leaves no room": "How did Martin Osei react to the footbridge plan?",
    "The project includes": "What are the features of the Riverside footbridge?",
    "comment on the final design": "When can residents comment on the footbridge design?",
    "summer of 2026": "When will the Riverside footbridge open?",
    "repair the Harbour Street tunnel": "What did Martin Osei want the council to repair first?",
    "missing link": "What will the footbridge connect?",
    "cost 800,000": "How much will the Harbour Street tunnel repairs cost?",
}
# Its readings of the questions that need one: sentence number, colon, the words copied.
READINGS = {
    "How did Martin Osei react to the footbridge plan?": "4: warned that the budget leaves no room for delays",
    "What are the features of the Riverside footbridge?": "7: a 120-metre steel deck",
    "What did Martin Osei want the council to repair first?": "5: the Harbour Street tunnel",
    "What will the footbridge connect?": "3: the old mill district with the new railway station",
    "How much will the Harbour Street tunnel repairs cost?": "3: 800,000 dollars",
    "When will construction of the Riverside footbridge begin?": "2: in September",
    "When can residents comment on the footbridge design?": "10: until April 30",
    "When will the Riverside footbridge open?": "11: in the summer of 2026",
}


def script(messages):
    last = messages[-1]["content"].rsplit("\n\n", 1)[-1]
    if last.startswith("Sentence:"):
        part = last.split("Part:", 1)[1]
        return next((q for words, q in QUESTIONS.items() if words in part), "What is this about?")
    if last.startswith("Question:"):
        return READINGS.get(last.removeprefix("Question:").strip(), "NONE")
    return "NONE"


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    """The footbridge story and an earlier one on the same people, with a scripted model."""
    model = ScriptedModel(script)
    nutgraf = Nutgraf(tmp_path_factory.mktemp("related") / "db.sqlite", llm=model, min_confidence=0.0)
    bridge, tunnel = nutgraf.ingest([str(FIXTURES / "riverside-bridge.md"), str(FIXTURES / "riverside-tunnel.md")])
    nutgraf.bridge_id, nutgraf.tunnel_id = bridge.article_id, tunnel.article_id
    nutgraf.model = model
    return nutgraf
