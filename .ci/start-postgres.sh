#!/usr/bin/env bash
# Makes PostgreSQL answer on 127.0.0.1:5432 as postgres/postgres (the default LOOM_TEST_PG_URL).
# Idempotent: does nothing when PostgreSQL already answers; installs Debian's postgresql if missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
answers() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

if answers; then
  echo "postgres: already answering on 127.0.0.1:5432"
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "postgres: installing"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
# Container images often install the package without creating a cluster (policy-rc.d, no init).
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
  as_root pg_createcluster "$version" main
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
  as_root pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 60); do
  answers && break
  sleep 0.5
done
answers || { echo "postgres: cluster $version/main did not answer on 127.0.0.1:5432" >&2; exit 1; }

as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
echo "postgres: $version/main answering on 127.0.0.1:5432 (postgres/postgres)"
