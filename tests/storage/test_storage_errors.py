"""Error messages: one line, at most 300 characters, hostile text made visible, advice kept."""
from __future__ import annotations

from ipfs_store import StorageError, TooLargeError
from ipfs_store.errors import MAX_MESSAGE, show


def test_messages_are_one_line_and_escape_control_characters() -> None:
    message = str(StorageError("first line\nsecond\tline \x1b[2J\x00 end"))
    assert message == "first line second line \\x1b[2J\\x00 end"


def test_long_messages_are_cut_in_the_middle_keeping_the_advice() -> None:
    message = str(TooLargeError("Qm-subject " + "x" * 1000 + " ; raise the limit with max_bytes"))
    assert len(message) == MAX_MESSAGE
    assert message.startswith("Qm-subject xxx") and message.endswith("raise the limit with max_bytes")
    assert " ... " in message


def test_names_are_quoted_visibly_and_briefly() -> None:
    assert show("../x") == "'../x'"
    assert show("a\x00b\u202e") == "'a\\x00b\\u202e'"
    assert len(show("n" * 500)) == 60
