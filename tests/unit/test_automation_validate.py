"""The checks an activation makes: each refusal names its node and field and says why in words."""

from __future__ import annotations

from typing import Any

from domain.automation.validate import Problem, problems
from schemas.automations import Definition


def flow(nodes: list[dict[str, Any]], *, start: str = "hi", on: list[str] | None = None, **trigger: Any) -> Definition:
    return Definition.model_validate(
        {
            "name": "Guide",
            "trigger": {"on": on or ["comment"], "keywords": ["guide"], **trigger},
            "nodes": nodes,
            "start": start,
        }
    )


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, found
    return found[0]


def test_a_multi_node_flow_with_a_wait_for_the_answer_passes() -> None:
    d = flow(
        [
            {
                "id": "hi",
                "type": "public_reply",
                "text": "Sent you a DM, {{name}}!",
                "variants": ["Check your DMs {{username}}"],
                "next": "dm",
            },
            {
                "id": "dm",
                "type": "resource",
                "text": "Here is the {{keyword}} guide: {{link}}",
                "resources": [{"keyword": "guide", "url": "https://example.com/guide"}],
                "default_url": "https://example.com/",
                "next": "ask",
            },
            {
                "id": "ask",
                "type": "condition",
                "test": {"kind": "answer", "keywords": ["yes", "^y(es)?$"], "match": "regex"},
                "then": "more",
                "otherwise": "tag",
            },
            {
                "id": "more",
                "type": "message",
                "text": "Great! {{automation}}",
                "buttons": [{"title": "Open", "url": "http://example.com/x"}],
            },
            {"id": "tag", "type": "tag", "tag": "cold", "next": "hook"},
            {"id": "hook", "type": "webhook", "url": "https://hooks.example.com/in"},
        ]
    )
    assert problems(d) == []


def test_an_unknown_placeholder_is_named_with_its_node_and_field() -> None:
    d = flow([{"id": "hi", "type": "private_reply", "text": "Here is {{coupon}}"}])
    p = only(problems(d))
    assert (p.node, p.field) == ("hi", "nodes[0].text")
    assert "{{coupon}} is not a known placeholder" in p.detail and p.detail.startswith("node 'hi'")


def test_link_is_only_known_in_a_resource_node_which_must_contain_it() -> None:
    outside = only(problems(flow([{"id": "hi", "type": "public_reply", "text": "ok", "variants": ["a", "see {{link}}"]}])))
    assert outside.field == "nodes[0].variants[1]" and "only known in a resource node" in outside.detail
    resource = {"id": "hi", "type": "resource", "text": "Here you go", "resources": [{"keyword": "guide", "url": "https://e.com"}]}
    missing = only(problems(flow([resource])))
    assert missing.field == "nodes[0].text" and "must contain {{link}}" in missing.detail


def test_an_unclosed_placeholder_is_refused() -> None:
    p = only(problems(flow([{"id": "hi", "type": "private_reply", "text": "Hi {{name"}])))
    assert p.field == "nodes[0].text" and "not closed" in p.detail


def test_start_and_every_exit_must_name_a_node() -> None:
    nodes = [
        {"id": "hi", "type": "private_reply", "text": "hello", "next": "gone"},
        {"id": "c", "type": "condition", "test": {"kind": "window_open"}, "then": "nowhere"},
    ]
    found = problems(flow(nodes, start="nope"))
    assert [(p.node, p.field) for p in found] == [(None, "start"), ("hi", "nodes[0].next"), ("c", "nodes[1].then")]
    assert "'gone', which is not a node" in found[1].detail


def test_a_node_the_flow_never_reaches_is_refused() -> None:
    nodes = [{"id": "hi", "type": "private_reply", "text": "hello"}, {"id": "lost", "type": "tag", "tag": "x"}]
    p = only(problems(flow(nodes)))
    assert (p.node, p.field) == ("lost", "nodes[1]") and "cannot be reached from start 'hi'" in p.detail


def test_a_loop_through_a_delay_is_accepted() -> None:
    nodes = [
        {"id": "hi", "type": "private_reply", "text": "hello", "next": "wait"},
        {"id": "wait", "type": "delay", "seconds": 3600, "next": "check"},
        {"id": "check", "type": "condition", "test": {"kind": "tag", "tag": "done"}, "otherwise": "ping"},
        {"id": "ping", "type": "tag", "tag": "pinged", "next": "wait"},
    ]
    assert problems(flow(nodes)) == []


def test_a_loop_without_a_wait_is_refused_naming_the_exit_that_closes_it() -> None:
    nodes = [
        {"id": "hi", "type": "private_reply", "text": "hello", "next": "a"},
        {"id": "a", "type": "tag", "tag": "x", "next": "b"},
        {"id": "b", "type": "condition", "test": {"kind": "tag", "tag": "y"}, "then": "a", "otherwise": None},
    ]
    p = only(problems(flow(nodes)))
    assert (p.node, p.field) == ("a", "nodes[1].next")
    assert "a → b → a" in p.detail and "repeat without end" in p.detail


def test_a_node_that_goes_to_itself_is_a_loop() -> None:
    p = only(problems(flow([{"id": "hi", "type": "tag", "tag": "x", "next": "hi"}])))
    assert p.field == "nodes[0].next" and "loop" in p.detail


def test_a_catastrophic_regex_is_refused_where_it_is_written() -> None:
    p = only(problems(flow([{"id": "hi", "type": "private_reply", "text": "ok"}], keywords=["(a+)+", "ok"], match="regex")))
    assert (p.node, p.field) == (None, "trigger.keywords[0]") and "(a+)+" in p.detail and "catastrophically" in p.detail
    excluded = only(problems(flow([{"id": "hi", "type": "private_reply", "text": "ok"}], exclude=["(x|x)*"], match="regex")))
    assert excluded.field == "trigger.exclude[0]"
    cond = [
        {"id": "hi", "type": "condition", "test": {"kind": "keyword", "keywords": ["fine", "(a*)*b"], "match": "regex"}, "then": "r"},
        {"id": "r", "type": "private_reply", "text": "ok"},
    ]
    assert only(problems(flow(cond))).field == "nodes[0].test.keywords[1]"


def test_keywords_are_plain_words_unless_the_match_is_regex() -> None:
    assert problems(flow([{"id": "hi", "type": "private_reply", "text": "ok"}], keywords=["(a+)+"])) == []


def test_links_must_be_absolute_http_urls_with_a_host() -> None:
    nodes = [
        {
            "id": "hi",
            "type": "message",
            "text": "ok",
            "buttons": [{"title": "a", "url": "https://ok.example"}, {"title": "b", "url": "javascript:alert(1)"}],
            "link": "/relative",
            "next": "hook",
        },
        {"id": "hook", "type": "webhook", "url": "https://"},
    ]
    found = problems(flow(nodes, on=["message"]))
    assert [(p.node, p.field) for p in found] == [("hi", "nodes[0].buttons[1].url"), ("hi", "nodes[0].link"), ("hook", "nodes[1].url")]
    assert "not an http or https URL" in found[0].detail and "has no host" in found[2].detail


def test_a_comment_trigger_cannot_reach_a_direct_message_before_the_person_answers() -> None:
    nodes = [
        {"id": "hi", "type": "private_reply", "text": "Want the guide? Reply yes", "next": "dm"},
        {"id": "dm", "type": "message", "text": "here"},
    ]
    p = only(problems(flow(nodes)))
    assert (p.node, p.field) == ("dm", "nodes[1]") and "24-hour window" in p.detail
    waited = [
        {"id": "hi", "type": "private_reply", "text": "Want the guide? Reply yes", "next": "ask"},
        {"id": "ask", "type": "condition", "test": {"kind": "answer", "keywords": ["yes"]}, "then": "dm"},
        {"id": "dm", "type": "resource", "text": "{{link}}", "via": "message", "resources": [{"keyword": "guide", "url": "https://e.com"}]},
    ]
    assert problems(flow(waited)) == []
    skipped = [*waited[:1], {**waited[1], "then": None, "otherwise": "dm"}, waited[2]]
    assert only(problems(flow(skipped))).field == "nodes[2].via"
    assert problems(flow(nodes, on=["comment", "message"])) == []  # a message trigger opens the window itself


def test_a_message_trigger_cannot_reply_to_a_comment() -> None:
    p = only(problems(flow([{"id": "hi", "type": "private_reply", "text": "ok"}], on=["message"])))
    assert (p.node, p.field) == ("hi", "nodes[0].type") and "no comments" in p.detail


def test_conditions_need_what_their_test_reads() -> None:
    nodes = [
        {"id": "a", "type": "condition", "test": {"kind": "tag"}, "then": "b"},
        {"id": "b", "type": "condition", "test": {"kind": "inactive"}, "then": "c"},
        {"id": "c", "type": "condition", "test": {"kind": "keyword"}},
    ]
    found = problems(flow(nodes, start="a"))
    assert [p.field for p in found] == ["nodes[0].test.tag", "nodes[1].test.seconds", "nodes[2].test.keywords"]


def test_a_node_id_used_twice_is_refused() -> None:
    nodes = [{"id": "hi", "type": "private_reply", "text": "ok", "next": "t"}, {"id": "t", "type": "tag", "tag": "a"}]
    nodes.append({"id": "t", "type": "tag", "tag": "b"})
    p = only(problems(flow(nodes)))
    assert (p.node, p.field) == ("t", "nodes[2].id") and "used twice" in p.detail


def test_a_pattern_beyond_the_parsers_limits_is_refused_not_raised() -> None:
    p = only(problems(flow([{"id": "hi", "type": "private_reply", "text": "ok"}], keywords=["a{99999999999}"], match="regex")))
    assert p.field == "trigger.keywords[0]" and "too large" in p.detail
