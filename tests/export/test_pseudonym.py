"""Pseudonyms: stable within an installation, unrelated across installations, and no
handle or user id left anywhere in a pseudonymised file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from grapevine.export import (
    ExportFilters,
    ExportOptions,
    Pseudonymiser,
    ensure_installation_secret,
    export_to_path,
)
from grapevine.export.pseudonym import SECRET_META_KEY, MissingKeyError, installation_secret
from storage import Store, keys
from tests.export.conftest import HANDLES, Seeded, seed

# User ids and DIDs that ride along in URLs and ids.
IDENTIFIERS = (*HANDLES, "did:plc:grace123", "/12345", "t2_secret")


def test_same_author_same_pseudonym_and_case_does_not_matter() -> None:
    p = Pseudonymiser(b"k" * 32)
    assert p.pseudonym("reddit", "Alice") == p.pseudonym("reddit", "alice")
    assert p.pseudonym("reddit", "alice") == p.pseudonym("reddit", "@alice")
    assert p.pseudonym("reddit", "alice") != p.pseudonym("reddit", "bob")
    assert p.pseudonym("reddit", "alice") != p.pseudonym("hackernews", "alice")
    assert p.pseudonym("reddit", "alice").startswith("u_")
    assert len(p.pseudonym("reddit", "alice")) == 22


def test_different_secret_different_pseudonyms() -> None:
    one, two = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert one.pseudonym("reddit", "alice") != two.pseudonym("reddit", "alice")
    assert one.key_id != two.key_id


def test_secret_is_too_short_to_be_safe() -> None:
    with pytest.raises(ValueError, match="128 bits"):
        Pseudonymiser(b"short")


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_init_creates_the_key_once_in_a_0600_file_beside_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    path = keys.key_path(_url(store))
    assert path.name == "grapevine.key"
    assert path.parent == Path(str(store.engine.url.database)).parent
    first = ensure_installation_secret(store)
    assert len(first.key) == 32
    assert first.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_installation_secret(store).key == first.key  # idempotent
    assert installation_secret(store) == first.key
    assert store.get_meta(SECRET_META_KEY) is None  # never in the database


def test_a_key_kept_in_meta_moves_out_and_pseudonyms_do_not_change(store: Store) -> None:
    old = bytes(range(32))
    store.set_meta_once(SECRET_META_KEY, old.hex())  # a store from before 0004_privacy
    setup = ensure_installation_secret(store)
    assert setup.moved_from_meta
    assert setup.key == old
    assert store.get_meta(SECRET_META_KEY) is None
    assert keys.key_path(_url(store)).read_text().strip() == old.hex()


def test_a_missing_key_is_a_clear_error_and_reading_never_creates_it(store: Store) -> None:
    with pytest.raises(MissingKeyError, match="grapevine init"):
        installation_secret(store)
    assert not keys.key_path(_url(store)).exists()
    with pytest.raises(MissingKeyError):
        export_to_path(
            store,
            ExportFilters(brand="Acme"),
            "csv",
            Path(str(store.engine.url.database)).with_name("x.csv"),
        )


def test_the_environment_can_supply_the_key(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.KEY_ENV, "ab" * 32)
    assert installation_secret(store) == bytes.fromhex("ab" * 32)
    assert ensure_installation_secret(store).path is None
    assert not keys.key_path(_url(store)).exists()
    monkeypatch.setenv(keys.KEY_ENV, "not hex")
    with pytest.raises(MissingKeyError, match="hex"):
        installation_secret(store)


# One row per platform and form: (text or link, the handle that must go, what must stay).
PLATFORMS = [
    ("x", "see https://twitter.com/joe_user/status/123 now", "joe_user", "/status/123"),
    ("x", "https://x.com/Joe_User", "joe_user", "https://x.com/u_"),
    ("x", "mobile.twitter.com/joe_user/with_replies", "joe_user", "/with_replies"),
    ("x", "https://twitter.com/intent/user?screen_name=joe_user", "joe_user", "intent/user"),
    ("x", "(via x.com/joe_user).", "joe_user", ")."),
    ("reddit", "https://www.reddit.com/user/carol_r/comments/", "carol_r", "/comments/"),
    ("reddit", "https://old.reddit.com/u/carol_r", "carol_r", "reddit.com/u/"),
    ("reddit", "thanks u/carol_r and /u/dave_r", "carol_r", "thanks u/"),
    ("mastodon", "https://mastodon.social/@erin_m/11223", "erin_m", "/11223"),
    ("mastodon", "https://fosstodon.org/users/erin_m/statuses/5", "erin_m", "/statuses/5"),
    ("mastodon", "cc @erin_m@mastodon.social", "erin_m", "cc @u_"),
    ("bluesky", "https://bsky.app/profile/judy.bsky.social/post/3kxyz", "judy", "/post/3kxyz"),
    ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3k", "did:plc:abc123", "app.bsky"),
    ("hackernews", "https://news.ycombinator.com/user?id=heidi_hn", "heidi_hn", "user?id=u_"),
    ("hackernews", "news.ycombinator.com/threads?id=heidi_hn", "heidi_hn", "threads?id="),
    ("stackexchange", "https://superuser.com/users/4242/grace-hopper", "grace-hopper", "/users/u_"),
    (
        "stackexchange",
        "https://stackoverflow.com/users/4242/grace-hopper?tab=profile",
        "4242",
        "?tab=",
    ),
    ("github", "https://github.com/octo_cat", "octo_cat", "github.com/u_"),
    ("github", "see github.com/octo_cat/espresso-tools/issues/4", "octo_cat", "/espresso-tools/"),
    ("github", "https://gist.github.com/octo_cat/abc", "octo_cat", "gist.github.com/u_"),
    ("youtube", "https://www.youtube.com/@brewtuber/videos", "brewtuber", "/videos"),
    ("youtube", "https://youtube.com/c/BrewTuber", "brewtuber", "youtube.com/c/u_"),
    ("youtube", "https://www.youtube.com/user/brewtuber", "brewtuber", "/user/u_"),
    ("youtube", "https://www.youtube.com/channel/UCx9brewtuber", "ucx9brewtuber", "/channel/u_"),
]


@pytest.mark.parametrize(("platform", "value", "handle", "kept"), PLATFORMS)
def test_every_platforms_profile_and_status_links_lose_the_handle(
    platform: str, value: str, handle: str, kept: str
) -> None:
    p = Pseudonymiser(b"k" * 32)
    for scrubbed in (p.scrub_text(value, platform), p.scrub(value, platform)):
        assert scrubbed is not None
        assert handle not in scrubbed.lower(), (platform, scrubbed)
        assert kept in scrubbed, (platform, scrubbed)
        assert p.scrub_text(scrubbed, platform) == scrubbed  # idempotent


@pytest.mark.parametrize(
    "value",
    [
        "https://x.com/search?q=acme",
        "https://twitter.com/hashtag/acme",
        "https://github.com/features/actions",
        "https://github.com/orgs/acme/discussions",
        "https://forum.acme.test/c/espresso/12",  # Discourse's /c/ is a category
        "https://netflix.com/title/1",
        "https://www.reddit.com/r/espresso/comments/abc/title/",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ],
)
def test_pages_that_are_not_people_are_left_alone(value: str) -> None:
    assert Pseudonymiser(b"k" * 32).scrub_text(value, "src") == value


@pytest.mark.parametrize(
    ("value", "gone"),
    [
        ("thanks @alice!", "alice"),
        ("cc @bob@mastodon.social", "bob"),
        ("ask u/carol or /u/dave", "carol"),
        ("https://mastodon.social/@erin/1", "erin"),
        ("https://x.test/users/frank/statuses/9", "frank"),
        ("https://superuser.com/users/4242/grace-hopper", "grace-hopper"),
        ("https://superuser.com/a/1/4242", "4242"),
        ("https://news.ycombinator.com/user?id=heidi", "heidi"),
        ("at://did:plc:ivan/app.bsky.feed.post/x", "did:plc:ivan"),
        ("https://bsky.app/profile/judy.bsky.social/post/3k", "judy"),
    ],
)
def test_scrub_replaces_handles_and_user_ids(value: str, gone: str) -> None:
    p = Pseudonymiser(b"k" * 32)
    scrubbed = p.scrub(value, "src")
    assert scrubbed is not None
    assert gone not in scrubbed
    assert "u_" in scrubbed or "/a/1" in scrubbed
    assert p.scrub(scrubbed, "src") == scrubbed  # idempotent: pseudonyms are left alone


def test_scrub_keeps_emails_and_post_links() -> None:
    p = Pseudonymiser(b"k" * 32)
    assert p.scrub("write to help@acme.test", "src") == "write to help@acme.test"
    link = "https://www.reddit.com/r/acme/comments/abc/title/"
    assert p.scrub(link, "reddit") == link


def test_author_handle_in_a_url_is_replaced_as_a_whole_token_only() -> None:
    p = Pseudonymiser(b"k" * 32)
    assert p.scrub("https://blog.test/posts/by-kim/1", "src", "kim") == (
        f"https://blog.test/posts/by-{p.pseudonym('src', 'kim')}/1"
    )
    assert p.scrub("https://x.test/item?id=12345", "src", "234") == "https://x.test/item?id=12345"


def _all_text(path: Path, fmt: str) -> str:
    if fmt == "parquet":
        return json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
    return path.read_text("utf-8")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_no_handle_or_user_id_anywhere_in_the_file(
    seeded: Seeded, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"acme.{fmt}"
    result = export_to_path(seeded.store, ExportFilters(brand="Acme"), fmt, out)  # type: ignore[arg-type]
    assert result.datasheet.tally.rows == 8
    raw = out.read_bytes()
    text = _all_text(out, fmt).lower()
    for identifier in IDENTIFIERS:
        assert identifier.encode() not in raw, identifier
        assert identifier.lower() not in text, identifier
    for sheet in (result.datasheet_md, result.datasheet_json):
        content = sheet.read_text("utf-8")
        assert not any(h in content for h in HANDLES)


def test_pseudonyms_link_authors_across_rows_and_mentions(seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "acme.parquet"
    export_to_path(seeded.store, ExportFilters(brand="Acme"), "parquet", out)
    rows = {r["mention_id"]: r for r in pq.read_table(out).to_pylist()}
    alice_posts = [rows[seeded.ids["hn1"]], rows[seeded.ids["old1"]]]
    assert alice_posts[0]["author"] == alice_posts[1]["author"]
    bob = rows[seeded.ids["hn2"]]["author"]
    # @bob_mentions in alice's comment is bob's pseudonym: reply networks survive.
    assert f"@{bob}" in rows[seeded.ids["hn1"]]["text"]
    assert rows[seeded.ids["hn1"]]["url"] == "https://news.ycombinator.com/item?id=1"


def test_other_installation_gives_other_pseudonyms(
    seeded: Seeded, tmp_path: Path, store_factory: Store
) -> None:
    seed(store_factory)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    a = export_to_path(seeded.store, ExportFilters(brand="Acme"), "parquet", one)
    b = export_to_path(store_factory, ExportFilters(brand="Acme"), "parquet", two)
    authors_one = pq.read_table(one).column("author").to_pylist()
    authors_two = pq.read_table(two).column("author").to_pylist()
    assert len(authors_one) == len(authors_two)
    assert not set(authors_one) & set(authors_two)
    assert a.datasheet.pseudonymisation["key_id"] != b.datasheet.pseudonymisation["key_id"]
    again = export_to_path(
        seeded.store, ExportFilters(brand="Acme"), "parquet", tmp_path / "3.parquet"
    )
    assert pq.read_table(again.path).column("author").to_pylist() == authors_one


def test_include_authors_keeps_handles_and_says_so(seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "acme.csv"
    result = export_to_path(
        seeded.store, ExportFilters(brand="Acme"), "csv", out, ExportOptions(include_authors=True)
    )
    assert b"alice_hn" in out.read_bytes()
    sheet = json.loads(result.datasheet_json.read_text("utf-8"))
    assert sheet["pseudonymisation"]["include_authors"] is True
    assert "--include-authors: yes" in result.datasheet_md.read_text("utf-8").replace("`", "")
