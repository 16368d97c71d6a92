from chalicelib.memo import Memo


def test_each_key_is_read_once_and_its_answer_kept():
    reads = []

    def read(key: str) -> str:
        reads.append(key)
        return key.upper()

    memo = Memo(read)
    assert [memo("a"), memo("b"), memo("a"), memo("b")] == ["A", "B", "A", "B"]
    assert reads == ["a", "b"]
    assert memo.answers() == {"a": "A", "b": "B"}


def test_a_missing_record_is_remembered_as_missing():
    reads = []

    def read(key: tuple[str, str]) -> None:
        reads.append(key)

    memo = Memo(read)
    assert memo(("org", "plan")) is None
    assert memo(("org", "plan")) is None
    assert reads == [("org", "plan")]
