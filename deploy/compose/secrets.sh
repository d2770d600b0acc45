#!/usr/bin/env bash
# Creates the compose stack's secrets, once, in deploy/compose/secrets/ (ignored by git and by
# the image's build context): random database passwords and the auth role's ES256 signing key.
# Existing files are kept, so running it again changes nothing (delete a file to replace it; the
# database passwords are set only when the postgres volume is first initialised).
#
#   deploy/compose/secrets.sh
#
# The files are 0644 inside a 0700 directory: compose bind-mounts them into the containers as
# they are, where the services run as other users (postgres, uid 10001) and must read them, while
# no other user of this machine can reach them.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets
command -v openssl >/dev/null || { echo "secrets.sh: openssl not found" >&2; exit 1; }
mkdir -p "$dir"
chmod 0700 "$dir"
umask 022

password() {
  local file=$dir/$1
  [ -s "$file" ] && return 0
  openssl rand -hex 24 >"$file.tmp"
  mv "$file.tmp" "$file"
  echo "secrets.sh: created $file"
}

password postgres_password   # the postgres superuser (only the image's init uses it)
password db_owner_password   # insightstream_owner: runs the migrations
password db_app_password     # insightstream_app: every role's login
if [ ! -s "$dir/jwt_private_key.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/jwt_private_key.pem.tmp" 2>/dev/null
  chmod 0644 "$dir/jwt_private_key.pem.tmp"
  mv "$dir/jwt_private_key.pem.tmp" "$dir/jwt_private_key.pem"
  echo "secrets.sh: created $dir/jwt_private_key.pem"
fi
