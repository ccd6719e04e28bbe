"""Registers residents of DEMO-02 (outside every fuzzing token's jurisdiction) and prints
their names, document numbers and phones, comma-separated, for the leak check."""

import json
import sys
import urllib.request

base, token = sys.argv[1], sys.argv[2]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def resident_id(body):
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


canaries = []
for i, (name, phone) in enumerate([("金丝雀甲", "13711110001"), ("金丝雀乙", "13711110002"), ("金丝雀丙", "13711110003")]):
    number = resident_id(f"33990219800101{100 + i:03d}")
    query = """mutation($i: PersonInput!) { registerPerson(input: $i) { id } }"""
    variables = {"i": {"documentType": "RESIDENT_ID", "documentNumber": number, "name": name,
                       "phone": phone, "address": f"金丝雀路{i}号", "residence": "DEMO-02-01-01-01"}}
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    answer = json.load(urllib.request.urlopen(request))
    if answer.get("errors"):
        sys.exit(f"could not plant a canary: {answer}")
    canaries += [name, number, phone, f"金丝雀路{i}号"]
print(",".join(canaries))
