import json
import os

import pytest

import ecai
from fakellm import FakeLLM

from conftest import ROOT, fixture_path

FAQ = fixture_path("shop_faq.json")  # the project's own FAQ (the outside one: tests/eval/eval_support.sh)
SHOP = os.path.join(ROOT, "examples", "data", "shop_policy.md")


@pytest.fixture()
def kb():
    with ecai.KnowledgeBase() as k:
        assert k.add_path(SHOP) == 1
        yield k


def test_kb_ingest_search_reingest(kb, tmp_path):
    docs, chunks = kb.stats
    assert docs == 1 and chunks >= 5
    assert kb.add_path(SHOP) == 0  # unchanged
    res = kb.search("express delivery cost", 2)
    assert res["results"][0]["section"].endswith("Shipping and delivery")
    assert kb.add_text("notes.md", "# Notes\n\nGift cards never expire.\n") == 1
    assert kb.add_text("notes.md", "# Notes\n\nGift cards never expire.\n") == 0
    kb.save(tmp_path / "kb.ecai")
    with ecai.KnowledgeBase.open(tmp_path / "kb.ecai") as back:
        assert back.stats == kb.stats
        assert back.search("gift cards expire", 1)["results"][0]["source"] == "notes.md"
    (tmp_path / "bad.ecai").write_bytes(b"nope")
    with pytest.raises(ecai.EcaiError):
        ecai.KnowledgeBase.open(tmp_path / "bad.ecai")
    kb.remove("notes.md")
    with pytest.raises(ecai.EcaiError):
        kb.remove("notes.md")
    with pytest.raises(ValueError):
        kb.add_text("bad.json", "[{\"id\": 1}]")


def test_answer_extractive_and_escalation(kb):
    r = ecai.support.answer(kb, "How much does express delivery cost?")
    assert r["escalated"] is False and "9.95 EUR" in r["answer"]
    assert r["citations"][0] == {"source": "shop_policy.md",
                                 "section": "Oakleaf Home shop policy > Shipping and delivery"}
    assert 0 < r["confidence"] <= 1 and r["event"]["event"] == "ticket_bot_answered"
    r = ecai.support.answer(kb, "I want to talk to a real person, I'm jane@example.com",
                            conversation=["where is my refund?"], context={"order": "#W1234567"})
    assert r["escalated"] is True and r["reason"] == "human_requested" and r["answer"] is None
    h = json.dumps(r["handoff"])
    assert "jane@example.com" not in h and "[EMAIL_1]" in h and "#W1234567" in h


def test_llm_answer_grounded_and_planted_fact():
    with FakeLLM() as srv:
        def bot_for(planted):
            ctx = ecai.Context({"llm": {"provider": "openai", "base_url": srv.url, "model": "fault-adversarial",
                                        "max_retries": 0, "headers": {"X-Fake-Answer": planted}}})
            kb = ecai.KnowledgeBase(ctx)
            kb.add_path(FAQ)
            return ecai.SupportAssistant(ctx, kb)
        faq04 = [e for e in json.load(open(FAQ)) if e["id"] == "faq04"][0]["answer"]
        with bot_for(faq04) as bot:
            r = bot.answer("return policy?")
        assert r["escalated"] is False and r["mode"] == "llm" and r["citations"][0]["source"] == "faq04"
        wrong = faq04.replace("30", "90")
        assert wrong != faq04
        with bot_for(wrong) as bot:
            r = bot.answer("return policy?")
        assert r["escalated"] is True and r["reason"] == "number_not_in_sources" and r["answer"] is None


EXAMPLES = fixture_path("shop_faq_examples.tsv")  # labelled questions written for the tests


def test_examples_learning_from_resolved_tickets(tmp_path):
    with ecai.KnowledgeBase() as kb:
        kb.add_path(FAQ)
        with ecai.SupportAssistant(kb._ctx, kb) as bot:
            q = "my parcel, where is it? my email is jane.doe@example.com"
            r = bot.answer(q)
            assert r["escalated"] and r["calibrated"] is None
            bot.resolve(r, "faq03")  # the agent answered with faq03
            again = bot.answer("my parcel, where is it? my email is max@example.org")
            assert not again["escalated"] and again["citations"][0]["source"] == "faq03"
            bot.resolve(r["handoff"], None)  # the handoff alone; None: a person was needed
            with pytest.raises(ecai.NotFound):
                bot.resolve(r, "faq99")
            with pytest.raises(ecai.InvalidArgument):
                bot.resolve({"answer": "x"}, "faq03")
        kb.save(tmp_path / "kb.ecai")
        data = (tmp_path / "kb.ecai").read_bytes()
        assert b"jane" not in data and b"my parcel, where is it?" in data
        assert kb.search("where is it")["examples"] == 2


def test_examples_tsv_errors_and_fitted_confidence(tmp_path):
    with ecai.KnowledgeBase() as kb:
        kb.add_path(FAQ)
        with pytest.raises(ecai.NotFound, match="line 3.*faq77"):
            kb.add_examples_tsv("question\texpected\nwhere is my parcel\tfaq03\nhow to pay\tfaq77\n")
        with pytest.raises(ecai.ParseError, match="line 1"):
            kb.add_examples_tsv("no tab here\n")
        with pytest.raises(ecai.InvalidArgument):
            kb.add_examples_tsv("")
        with pytest.raises(ecai.InvalidArgument):
            kb.add_example("faq03", "\U0001F600\U0001F621")  # only emoji
        assert kb.search("which payment methods can I use")["examples"] == 0
        assert kb.search("which payment methods can I use")["confidence"] is None
        assert kb.add_examples_tsv(__import__("pathlib").Path(EXAMPLES)) == 24  # one duplicate line
        assert kb.add_examples_tsv(__import__("pathlib").Path(EXAMPLES)) == 0
        kb.add_example(ecai.support.ESCALATE, "do you buy used furniture")
        easy = kb.search("which payment methods can I use")
        assert easy["examples"] == 25 and easy["confidence"] > 0.5
        assert kb.search("is it nice")["confidence"] < easy["confidence"]
        with ecai.SupportAssistant(kb._ctx, kb) as bot:
            r = bot.answer("which payment methods can I use")
            assert not r["escalated"] and r["confidence"] == r["calibrated"]
        kb.save(tmp_path / "ex.ecai")
        with ecai.KnowledgeBase.open(tmp_path / "ex.ecai") as back:
            assert back.search("where's my parcel at") == kb.search("where's my parcel at")
