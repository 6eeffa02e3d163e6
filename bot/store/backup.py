"""Leads backed up to a JSON Lines file and restored into an empty Redis.

What is kept: every key :meth:`Keys.lead_keys` names for each lead (the lead's hash with every
field it has, and whatever per-lead keys features add there), plus the notification outbox and
the dead letters, so notifications not yet delivered at backup time are delivered after a
restore. What is rebuilt on import from the leads themselves: the indexes (all, per status,
per user, per phone and company for repeat inquiries), the form ids that guard against double submission, and each day's number sequence
(set past the highest restored number, so new leads never collide with restored ones).

Values are written by type (string, hash, list, set, sorted set, stream) as JSON, not as
``DUMP`` blobs, so a backup restores into another Redis version and can be read by a person.

The file::

    {"kind": "header", "format": "parkbot-leads", "version": 1, "exported_at": 1795000000.0}
    {"kind": "lead", "number": "L20261130-0001", "keys": {"lead": {"type": "hash", "value": {...}}}}
    {"kind": "shared", "name": "outbox", "key": {"type": "stream", "value": [[id, {...}], ...]}}
    {"kind": "end", "leads": 1}

The closing ``end`` record tells a whole file from one cut short (a full disk, a copy stopped).
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import IO, Any, Iterator

import redis

from .keys import Keys
from .lead_repeat import file_lead
from .lead_search import field_text
from .leads import FORM_TTL, SEQ_TTL, STATUSES

FORMAT, VERSION = "parkbot-leads", 1
_NUMBER = re.compile(r"L(\d{8})-(\d{4,})")
# shared keys carried over as they are (the indexes are rebuilt from the leads instead)
SHARED = ("outbox", "dead_letters")


class BackupError(Exception):
    """A backup that cannot be read or restored; one line saying what and where."""


# one key <-> JSON ------------------------------------------------------------------------
def dump_key(client: redis.Redis, key: str) -> dict | None:
    kind = client.type(key)
    if kind == "none":
        return None
    if kind == "string":
        value: Any = client.get(key)
    elif kind == "hash":
        value = client.hgetall(key)
    elif kind == "list":
        value = client.lrange(key, 0, -1)
    elif kind == "set":
        value = sorted(client.smembers(key))
    elif kind == "zset":
        value = [[member, score] for member, score in client.zrange(key, 0, -1, withscores=True)]
    elif kind == "stream":
        value = [[entry_id, fields] for entry_id, fields in client.xrange(key)]
    else:
        raise BackupError(f"key {key!r} has type {kind}, which a backup cannot hold")
    ttl = client.pttl(key)
    return {"type": kind, "value": value, **({"ttl_ms": ttl} if ttl > 0 else {})}


def restore_key(pipe, key: str, item: dict) -> None:
    kind, value = item.get("type"), item.get("value")
    if kind == "string" and isinstance(value, str):
        pipe.set(key, value)
    elif kind == "hash" and isinstance(value, dict) and value:
        pipe.hset(key, mapping={str(k): str(v) for k, v in value.items()})
    elif kind == "list" and isinstance(value, list) and value:
        pipe.rpush(key, *map(str, value))
    elif kind == "set" and isinstance(value, list) and value:
        pipe.sadd(key, *map(str, value))
    elif kind == "zset" and isinstance(value, list) and value:
        pipe.zadd(key, {str(member): float(score) for member, score in value})
    elif kind == "stream" and isinstance(value, list):
        for entry_id, fields in value:
            pipe.xadd(key, {str(k): str(v) for k, v in fields.items()}, id=entry_id)
    elif kind in ("hash", "list", "set", "zset") and value in ({}, []):
        return  # Redis keeps no empty collections
    else:
        raise BackupError(f"unreadable value for key {key!r} (type {kind!r})")
    ttl = item.get("ttl_ms")
    if isinstance(ttl, int) and ttl > 0:
        pipe.pexpire(key, ttl)


# export --------------------------------------------------------------------------------
def lines(client: redis.Redis, keys: Keys) -> Iterator[dict]:
    """The backup, one JSON-able record at a time: header, every lead (oldest first), shared keys."""
    yield {"kind": "header", "format": FORMAT, "version": VERSION, "exported_at": round(time.time(), 3)}
    count = 0
    for number in client.zrange(keys.lead_index(), 0, -1):
        dumped = {}
        for role, key in keys.lead_keys(number).items():
            item = dump_key(client, key)
            if item is not None:
                dumped[role] = item
        if "lead" in dumped:  # an index entry without its lead (it was never whole) is left behind
            count += 1
            yield {"kind": "lead", "number": number, "keys": dumped}
    for name in SHARED:
        item = dump_key(client, getattr(keys, name)())
        if item is not None:
            yield {"kind": "shared", "name": name, "key": item}
    yield {"kind": "end", "leads": count}


def export_jsonl(client: redis.Redis, keys: Keys, path: str | Path) -> int:
    """Write the backup to ``path`` whole or not at all; returns the number of leads."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"cannot write the backup to {str(path)!r}: it is a directory")
    tmp = path.with_name(f".{path.name}.tmp")
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            for record in lines(client, keys):
                count += record["kind"] == "lead"
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"cannot write the backup to {str(path)!r}: {exc.strerror or exc}") from None
    return count


# import --------------------------------------------------------------------------------
def read_backup(stream: IO[str], source: str) -> tuple[list[dict], list[dict]]:
    """The leads and shared keys of a backup, checked whole before anything is written."""
    leads, shared = [], []
    header = end = None
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise BackupError(f"{source} line {n}: not JSON") from None
        if not isinstance(record, dict):
            raise BackupError(f"{source} line {n}: expected a JSON object")
        kind = record.get("kind")
        if end is not None:
            raise BackupError(f"{source} line {n}: nothing may follow the end record")
        if header is None:
            if kind != "header" or record.get("format") != FORMAT:
                raise BackupError(f"{source} is not a parkbot leads backup (no header on line 1)")
            if record.get("version") != VERSION:
                raise BackupError(f"{source} is a version {record.get('version')!r} backup; "
                                  f"this parkbot reads version {VERSION}")
            header = record
        elif kind == "lead":
            number, dumped = record.get("number"), record.get("keys")
            if not isinstance(number, str) or not _NUMBER.fullmatch(number) or not isinstance(dumped, dict) \
                    or not isinstance(dumped.get("lead"), dict) or dumped["lead"].get("type") != "hash":
                raise BackupError(f"{source} line {n}: a lead needs a number like L20261130-0001 and its hash")
            leads.append(record)
        elif kind == "shared" and record.get("name") in SHARED and isinstance(record.get("key"), dict):
            shared.append(record)
        elif kind == "end":
            end = record
        else:
            raise BackupError(f"{source} line {n}: unknown record {str(kind)[:40]!r}")
    if header is None:
        raise BackupError(f"{source} is empty")
    if end is None:
        raise BackupError(f"{source} is cut short: it has no end record")
    if end.get("leads") != len(leads):
        raise BackupError(f"{source} is damaged: its end record counts {end.get('leads')} leads, "
                          f"it holds {len(leads)}")
    return leads, shared


def existing_leads(client: redis.Redis, keys: Keys) -> int:
    """How much lead data the target holds (leads, queued or failed notifications)."""
    pipe = client.pipeline(transaction=False)
    pipe.zcard(keys.lead_index())
    pipe.exists(keys.outbox())
    pipe.exists(keys.dead_letters())
    return sum(pipe.execute())


def import_jsonl(client: redis.Redis, keys: Keys, path: str | Path) -> int:
    """Restore a backup into a Redis that holds no leads under this prefix; returns the number of leads."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as stream:
            leads, shared = read_backup(stream, repr(str(path)))
    except OSError as exc:
        raise BackupError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BackupError(f"{str(path)!r} is not UTF-8 text") from None
    if existing_leads(client, keys):
        raise BackupError(f"refusing to import: this Redis already holds leads or notifications under prefix "
                          f"{keys.prefix!r}; import only into an empty one")
    taken = [r["number"] for r in leads if client.exists(keys.lead(r["number"]))]
    if taken:
        raise BackupError(f"refusing to import: lead {taken[0]} already exists in this Redis")

    sequences: dict[str, int] = {}
    pipe = client.pipeline(transaction=False)
    for n, record in enumerate(leads, 1):
        number = record["number"]
        wanted = keys.lead_keys(number)
        for role, item in record["keys"].items():
            if role not in wanted:
                raise BackupError(f"lead {number}: this parkbot keeps no per-lead key {role!r}")
            restore_key(pipe, wanted[role], item)
        _index(pipe, keys, number, record["keys"]["lead"]["value"])
        day, seq = _NUMBER.fullmatch(number).groups()
        sequences[day] = max(sequences.get(day, 0), int(seq))
        if n % 500 == 0:
            pipe.execute()
    for day, seq in sequences.items():
        # a sequence lives SEQ_TTL; the submit script also skips any number already taken
        pipe.set(keys.lead_seq(day), seq, ex=SEQ_TTL)
    for record in shared:
        restore_key(pipe, getattr(keys, record["name"])(), record["key"])
    pipe.execute()
    return len(leads)


def _index(pipe, keys: Keys, number: str, fields: dict) -> None:
    """The lookups ``LeadStore.submit`` and ``set_status`` keep, rebuilt from one lead's hash."""
    try:
        created = float(fields.get("created") or 0)
    except ValueError:
        created = 0.0
    status = fields.get("status") if fields.get("status") in STATUSES else "new"
    pipe.zadd(keys.lead_index(), {number: created})
    pipe.zadd(keys.lead_status(status), {number: created})
    if fields.get("openid"):
        pipe.sadd(keys.user_leads(fields["openid"]), number)
    if fields.get("form_id"):
        pipe.set(keys.lead_form(fields["form_id"]), number, ex=FORM_TTL)
    file_lead(pipe, keys, number, created, field_text(fields.get("f:phone")), field_text(fields.get("f:company")))
