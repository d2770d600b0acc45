#!/usr/bin/env bash
# Runs the database migration as a one-off ECS task on the NEW image, before the services roll
# (release.yml, job deploy). Reads the CloudFormation outputs of the CDK stack (ClusterName,
# MigrateTaskDefinitionFamily, MigrateSubnetIds, MigrateSecurityGroupId), registers a new revision
# of the migrate task definition whose application container runs $IMAGE, runs it in the private
# subnets without a public IP, waits until it stops, and fails unless its containers exited 0
# (those on the new image and every essential one).
#
# Environment:
#   IMAGE   the image to migrate with, pinned by digest: <registry>/<repository>@sha256:...
#   STACK   the CloudFormation stack of the CDK app (default InsightStream)
#   MIGRATION_WHEN_NO_STACK   "fail" (default) or "skip": what to do when the stack does not
#           exist yet (the first deployment). With "skip" it prints a notice, writes
#           skipped=true to $GITHUB_OUTPUT and exits 0; the workflow runs it again after the
#           stack is created.
#   MIGRATION_WAIT_ROUNDS   rounds of `aws ecs wait tasks-stopped` (10 minutes each; default 6)
# Needs the AWS CLI (v2 on GitHub's runners), jq, and credentials in the environment.
set -euo pipefail

STACK=${STACK:-InsightStream}
MIGRATION_WHEN_NO_STACK=${MIGRATION_WHEN_NO_STACK:-fail}
MIGRATION_WAIT_ROUNDS=${MIGRATION_WAIT_ROUNDS:-6}
export AWS_PAGER=""

fail() { echo "::error::migration: $*" >&2; exit 1; }
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$*" >> "$GITHUB_STEP_SUMMARY"; fi; }

IMAGE=${IMAGE:-}
case "$IMAGE" in
  ?*/?*@sha256:?*) ;;
  *) fail "IMAGE must be <registry>/<repository>@sha256:<digest>, got '$IMAGE'" ;;
esac
repository=${IMAGE%@*}

# --- the stack's outputs --------------------------------------------------------------------
errors=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$errors" "$work"' EXIT
if ! outputs=$(aws cloudformation describe-stacks --stack-name "$STACK" \
                 --query 'Stacks[0].Outputs' --output json 2>"$errors"); then
  if grep -q 'does not exist' "$errors" && [ "$MIGRATION_WHEN_NO_STACK" = skip ]; then
    echo "::notice::stack $STACK does not exist yet (first deployment): the migration runs after it is created"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "skipped=true" >> "$GITHUB_OUTPUT"; fi
    exit 0
  fi
  cat "$errors" >&2
  fail "cannot read the outputs of stack $STACK"
fi

output() {
  local value
  value=$(jq -r --arg key "$1" '((. // [])[] | select(.OutputKey == $key) | .OutputValue) // empty' <<<"$outputs")
  [ -n "$value" ] || fail "stack $STACK has no output $1"
  printf '%s\n' "$value"
}
cluster=$(output ClusterName)
family=$(output MigrateTaskDefinitionFamily)
subnets=$(output MigrateSubnetIds)
security_group=$(output MigrateSecurityGroupId)
echo "cluster=$cluster family=$family subnets=$subnets security group=$security_group"

# --- a new revision of the migrate task definition, on the new image -----------------------
aws ecs describe-task-definition --task-definition "$family" --include TAGS --output json > "$work/current.json"

# The application's containers are those running an image of the same repository (or, when the
# task has a single container, that one). Read-only fields are dropped so that the rest can be
# registered again as it is.
jq --arg image "$IMAGE" --arg repository "$repository" '
    def ours: (.image == $repository) or (.image | startswith($repository + "@"))
              or (.image | startswith($repository + ":"));
    .tags as $tags
    | .taskDefinition
    | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
          .registeredAt, .registeredBy, .deregisteredAt)
    | if any(.containerDefinitions[]; ours) then
        .containerDefinitions |= map(if ours then .image = $image else . end)
      elif (.containerDefinitions | length) == 1 then
        .containerDefinitions[0].image = $image
      else
        error("no container of the task definition runs an image of \($repository)")
      end
    | if ($tags // [] | length) > 0 then .tags = $tags else . end
  ' "$work/current.json" > "$work/register.json" || fail "cannot prepare the task definition of $family"
# The containers that must exit 0: those on the new image and every essential one (e.g. a step
# that runs after the migration, such as setting up the application's database login).
containers=$(jq -c --arg image "$IMAGE" \
  '[.containerDefinitions[] | select(.image == $image or .essential != false) | .name]' "$work/register.json")

revision=$(aws ecs register-task-definition --cli-input-json "file://$work/register.json" \
             --query 'taskDefinition.taskDefinitionArn' --output text)
echo "registered $revision ($IMAGE; must exit 0: $containers)"

# --- run it ------------------------------------------------------------------------------
network=$(jq -nc --arg subnets "$subnets" --arg group "$security_group" '{awsvpcConfiguration: {
    subnets: ($subnets | split(",") | map(gsub("^\\s+|\\s+$"; "")) | map(select(. != ""))),
    securityGroups: [$group], assignPublicIp: "DISABLED"}}')
aws ecs run-task --cluster "$cluster" --task-definition "$revision" --launch-type FARGATE --count 1 \
  --network-configuration "$network" --started-by "release-${GITHUB_RUN_ID:-manual}" \
  --output json > "$work/run.json"
task=$(jq -r '.tasks[0].taskArn // empty' "$work/run.json")
if [ -z "$task" ] || [ "$(jq '.failures // [] | length' "$work/run.json")" -ne 0 ]; then
  jq '.failures' "$work/run.json" >&2
  fail "the migration task did not start"
fi
echo "started $task"

# The waiter gives up after 10 minutes (100 polls of 6 s); a long migration gets more rounds.
stopped=""
for round in $(seq 1 "$MIGRATION_WAIT_ROUNDS"); do
  if aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"; then
    stopped=yes
    break
  fi
  status=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0].lastStatus' --output text)
  echo "migration task still $status after round $round of $MIGRATION_WAIT_ROUNDS"
done
[ -n "$stopped" ] || fail "the migration task $task did not stop in time (it is still running)"

# --- the outcome ------------------------------------------------------------------------------
aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --output json > "$work/task.json"
jq -r '.tasks[0] | "task \(.taskArn): \(.lastStatus), stopCode=\(.stopCode // "-"), \(.stoppedReason // "")",
        (.containers[] | "  container \(.name): exitCode=\(.exitCode // "none") \(.reason // "")")' "$work/task.json"

# The container's log (awslogs driver), best effort: the outcome does not depend on it.
task_id=${task##*/}
jq -r '.containerDefinitions[] | select(.logConfiguration.logDriver == "awslogs")
       | [.name, .logConfiguration.options["awslogs-group"], (.logConfiguration.options["awslogs-stream-prefix"] // "")] | @tsv' \
  "$work/register.json" | while IFS=$'\t' read -r name group prefix; do
    [ -n "$prefix" ] || continue
    echo "::group::log of $name ($group, $prefix/$name/$task_id)"
    aws logs get-log-events --log-group-name "$group" --log-stream-name "$prefix/$name/$task_id" \
      --limit 200 --output json 2>/dev/null | jq -r '.events[].message' || echo "(log not readable)"
    echo "::endgroup::"
  done

ok=$(jq --argjson names "$containers" \
       '.tasks[0].containers as $c | all($names[]; . as $n | any($c[]; .name == $n and .exitCode == 0))' \
       "$work/task.json")
# The revision was only for this run (the stack registers its own on deployment): retire it.
aws ecs deregister-task-definition --task-definition "$revision" >/dev/null \
  || echo "::warning::could not deregister $revision (harmless)"

summary "Migration: \`$revision\` as task \`$task_id\` on \`$IMAGE\`: $([ "$ok" = true ] && echo 'exit code 0' || echo '**failed**')"
[ "$ok" = true ] || fail "the migration task $task did not exit 0 (see above)"
echo "migration done"
