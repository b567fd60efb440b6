#!/bin/sh
# A check gate for `optctl rollout`: passes (exit 0) when every service of the stage reads back
# from its store with caching enabled, as the rollout just wrote it. optctl runs it with
# OPTCTL_ROLLOUT_ID, OPTCTL_STAGE, OPTCTL_ENV and OPTCTL_SERVICES set.
# A real deployment would also call each service's smoke test here.
set -eu
optctl status --env "$OPTCTL_ENV" --output json | python3 -c '
import json, os, sys
rows = {row["service"]: row["environments"][os.environ["OPTCTL_ENV"]] for row in json.load(sys.stdin)["services"]}
off = [s for s in os.environ["OPTCTL_SERVICES"].split(",") if not rows.get(s, {}).get("enabled")]
if off:
    sys.exit("caching is not enabled for: " + ", ".join(off))
print("caching enabled for " + os.environ["OPTCTL_SERVICES"] + " in " + os.environ["OPTCTL_ENV"])
'
