"""Writes N chained activity entries of one organization as CSV for COPY, in one pass.

The chain trigger hashes one row at a time in PL/pgSQL, too slow to seed a million
entries for a benchmark; this computes the same seq, prev_hash, hash and personal digests
here, with the encoding of the README ("Verifying the activity log"), so that a million
entries load with one COPY while the trigger is off. `teamwork activity verify` then
checks every hash. Standard library only.

    python3 seed_chain.py ORG_ID N HEAD_FILE | psql ...

It prints a `COPY activity (...) FROM STDIN` statement followed by its CSV data. HEAD_FILE receives "seq,hash_hex" of the last entry, for the `activity_chains` row.
"""

import csv
import datetime
import hashlib
import json
import random
import sys

COLUMNS = (
    "id,org_id,actor_id,actor_name,action,target_type,target_id,target_label,before,after,"
    "ip,user_agent,created_at,seq,prev_hash,hash,personal_digests,personal_salts"
)
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def main():
    org_id, count, head_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(20)
    people = ["%08x-0000-4000-8000-%012x" % (0x7e57, n) for n in range(50)]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    start_ms = int(start.timestamp() * 1000)
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    sha256 = hashlib.sha256
    print("COPY activity (%s) FROM STDIN WITH (FORMAT csv);" % COLUMNS)
    out = csv.writer(sys.stdout, lineterminator="\n")
    prev = bytes(32)
    for seq in range(1, count + 1):
        at = start + datetime.timedelta(seconds=7 * seq, microseconds=seq % 1000000)
        ms = start_ms + 7000 * seq
        entry_id = "%08x-%04x-7%03x-8%03x-%012x" % (
            ms >> 16, ms & 0xFFFF, seq >> 36 & 0xFFF, seq >> 24 & 0xFFF, seq & 0xFFFFFFFFFFFF)
        actor = people[seq % 50]
        target = people[(seq // 50) % 50]
        ip = "203.0.113.%d" % (seq % 250)
        if seq % 2 == 0:
            action = "member.removed"
            before = {"role": "viewer", "email": "m%d@example.com" % seq}
            after = None
        else:
            action = "member.role_changed"
            before = {"role": "viewer"}
            after = {"role": "developer"}
        personal = {"ip": ip, "user_agent": UA}
        if "email" in before:
            personal["before.email"] = before["email"]
        salts, digests = {}, {}
        for field, value in personal.items():
            salt = rng.randbytes(16)
            salts[field] = salt.hex()
            digests[field] = sha256(salt + value.encode()).hexdigest()
        created_at = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        doc = {
            "v": 1, "org_id": org_id, "seq": seq, "id": entry_id, "created_at": created_at,
            "actor_id": actor, "actor_name": "Member %d" % (seq % 50), "action": action,
            "target_type": "member", "target_id": target,
            "target_label": "Member %d" % ((seq // 50) % 50),
            "before": {k: v for k, v in before.items() if k != "email"},
            "after": after, "personal": digests,
        }
        digest = sha256(prev + dumps(doc).encode()).digest()
        out.writerow((
            entry_id, org_id, actor, doc["actor_name"], action, "member", target,
            doc["target_label"], json.dumps(before), "" if after is None else json.dumps(after),
            ip, UA, created_at, seq, "\\x" + prev.hex(), "\\x" + digest.hex(),
            json.dumps(digests), json.dumps(salts),
        ))
        prev = digest
    print("\\.")
    with open(head_file, "w") as head:
        head.write("%d,%s\n" % (count, prev.hex()))


if __name__ == "__main__":
    main()
