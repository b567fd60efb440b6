#!/usr/bin/env bash
# The main job, end to end on the embedded store with the bundled example services: a staged
# rollout of prompt caching, dev (all) -> staging (all) -> production one service at a time,
# with zero soak and a check gate after every stage, ending on the rollout's status screen.
#
#   OPTCTL_HOME=$PWD/.optctl-demo bash examples/demo.sh
#
# Everything lives under OPTCTL_HOME (default ./.optctl-demo). Running it again starts over,
# but only in a folder this script created: a real store is never touched.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export OPTCTL_HOME="${OPTCTL_HOME:-$PWD/.optctl-demo}"
export OPTCTL_ACTOR="${OPTCTL_ACTOR:-demo}"
marker="$OPTCTL_HOME/.optctl-demo"

if [ -e "$OPTCTL_HOME/optctl.db" ] && [ ! -e "$marker" ]; then
    echo "demo: $OPTCTL_HOME already holds an optctl store this demo did not create; set OPTCTL_HOME to a new folder" >&2
    exit 2
fi
rm -f "$OPTCTL_HOME"/optctl.db* "$OPTCTL_HOME"/rollouts.db* "$OPTCTL_HOME"/optctl.toml "$OPTCTL_HOME"/plan.yaml
mkdir -p "$OPTCTL_HOME" && touch "$marker"
cd "$OPTCTL_HOME"  # so the optctl.toml written below is the one every command finds

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "1. Example services in dev, staging and production, caching off everywhere" \
    optctl init --example
step "   Where everything stands" \
    optctl status
step "   The bundled examples (services, plans, prompt fixtures) are valid documents" \
    optctl validate "$here"
printf '\n== %s\n$ %s\n' "   Before enabling: what caching would do for the indexing service's prompt (no model is called)" \
    "optctl dry-run --compare --env production --service indexing $here/prompts/indexing-service.json"
# Exit 1 here is the point: the deployed wrapper's marker on a string system prompt is dropped.
optctl dry-run --compare --env production --service indexing "$here/prompts/indexing-service.json" \
    || echo "(exit $?: as deployed, the wrapper caches nothing for this prompt; see runbooks/dry-run-before-enable.md)"
step "2. The migration guide's plan: dev (all), staging (all), production one at a time" \
    optctl rollout plan --services indexing,query,agent --soak 0 --no-approval \
        --check "$here/checks/caching-enabled.sh" --name demo --out plan.yaml
step "   The plan is a document optctl validates like any other" \
    optctl validate plan.yaml
step "3. Start: checks every service exists, records the rollout, applies stage 1 (dev)" \
    optctl rollout start plan.yaml --yes
printf '\n== 4. Advance until done: after each stage its check gate runs, then the next stage is applied\n'
printf '$ optctl rollout advance --wait --yes\n'
optctl rollout advance --wait --yes >/dev/null  # progress shows on a terminal; the status comes at the end
step "   The audit trail: every write carries the rollout id" \
    optctl history agent --env production
step "5. The rollout's status" \
    optctl rollout status

# What caching really did. A real deployment reads the Admin API usage report (ANTHROPIC_ADMIN_API_KEY)
# or its services' usage log, and takes each enable time from the history. The bundled log was recorded
# around 2026-11-20, so the demo gives that enable time instead of the one this rollout just wrote.
cat >> optctl.toml <<TOML

# The dry-run prediction beside each measurement: which prompt fixtures stand for which service.
[savings.fixtures]
indexing = ["$here/prompts/indexing-service.json"]
query = ["$here/prompts/caller-markers.json"]
TOML
printf '\n== %s\n$ %s\n' "6. What caching really did: a week before and after, from the services' usage log" \
    "optctl savings --usage-log $here/usage/demo.log --env production --enabled-at ...=2026-11-20T00:00:00Z --chart"
# Exit 1 here is the point too: indexing's marker never reaches the API, agent writes caches it never reads.
optctl savings --usage-log "$here/usage/demo.log" --env production --service query --service indexing --service agent \
    --enabled-at query=2026-11-20T00:00:00Z --enabled-at indexing=2026-11-20T00:00:00Z --enabled-at agent=2026-11-20T00:00:00Z --chart \
    || echo "(exit $?: caching saves money for query only; see the flags above and runbooks/staged-rollout.md)"
