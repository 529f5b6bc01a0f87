import pytest

from classifier.text import normalise, split_paragraphs, text_hash

CASES = [
    ("empty", "", []),
    ("whitespace only", " \n\t\r\n  ", []),
    ("one line", "Hello world.", ["Hello world."]),
    ("crlf", "First line.\r\nSecond line.\r\n\r\nThird.", ["First line.", "Second line.", "Third."]),
    ("blank runs", "A para.\n\n\n\n   \n\nB para.", ["A para.", "B para."]),
    ("lone cr", "One.\rTwo.", ["One.", "Two."]),
    ("replacement char", "Caf\ufffd au lait.\n\ufffd\ufffd", ["Caf\ufffd au lait."]),
    (
        "heading and bullets",
        "## Heading\n- first item\n* second item\n***",
        ["## Heading", "- first item", "* second item"],
    ),
    ("surrounding spaces", "   padded text   \n", ["padded text"]),
    ("unicode separators", "One\u2028Two\u2029Three", ["One", "Two", "Three"]),
]


@pytest.mark.parametrize("name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_split_paragraphs(name, text, expected):
    paragraphs = split_paragraphs(text)
    assert [p.text for p in paragraphs] == expected
    assert [p.index for p in paragraphs] == list(range(len(expected)))
    for p in paragraphs:
        assert text[p.start : p.end] == p.text


def test_blank_mode_keeps_hard_wrapped_paragraphs_together():
    text = "A wrapped\nparagraph here.\n\nSecond\r\nparagraph."
    assert [p.text for p in split_paragraphs(text, mode="blank")] == [
        "A wrapped\nparagraph here.",
        "Second\r\nparagraph.",
    ]


def test_enormous_paragraph_is_cut_at_sentence_ends_within_the_limit():
    sentence = "This sentence is about forty characters. "
    text = sentence * 2500  # about 100 KB on one line
    paragraphs = split_paragraphs(text, max_chars=3000)
    assert len(paragraphs) > 30
    assert all(len(p.text) <= 3000 for p in paragraphs)
    assert all(p.text.endswith(".") for p in paragraphs)
    assert all(text[p.start : p.end] == p.text for p in paragraphs)
    assert sum(len(p.text) for p in paragraphs) == len(text.strip()) - (len(paragraphs) - 1)


def test_enormous_word_is_cut_hard():
    text = "x" * 10_000
    paragraphs = split_paragraphs(text, max_chars=3000)
    assert [len(p.text) for p in paragraphs] == [3000, 3000, 3000, 1000]


def test_rejects_non_text():
    with pytest.raises(TypeError):
        split_paragraphs(None)
    with pytest.raises(ValueError):
        split_paragraphs("x", mode="sentences")


def test_normalise_and_hash():
    assert normalise("  The WEST, wants -- war! ") == normalise("the west wants war")
    assert text_hash("a") != text_hash("a ")
    assert len(text_hash("a")) == 16
