#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into an EMPTY database, then check it.
#
#   deploy/restore.sh DUMP_FILE
#
# Target: the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) or
# HOTLINE_RESTORE_DSN. Create the database first (createdb -O hotline hotline); the script
# refuses a database that already has tables, so it never merges two histories.
# Afterwards run, with the production settings pointing at the restored database:
#   hotline db upgrade        # a no-op when the code is the dump's version
#   hotline audit verify      # the audit chain must verify end to end (exit 0)
set -euo pipefail

if [[ $# -ne 1 || ! -r "$1" ]]; then
    echo "usage: $0 DUMP_FILE (readable)" >&2
    exit 2
fi
dump="$1"

# pg_restore without --dbname would print SQL instead of restoring: always name the target.
dsn_args=(--dbname "${HOTLINE_RESTORE_DSN:-${PGDATABASE:?set PGDATABASE or HOTLINE_RESTORE_DSN}}")

tables=$(psql "${dsn_args[@]}" -X -A -t -v ON_ERROR_STOP=1 \
    -c "select count(*) from information_schema.tables where table_schema = 'public'")
if [[ "$tables" != "0" ]]; then
    echo "restore.sh: the target database already has $tables tables; restore into an empty one" >&2
    exit 1
fi

# One transaction: either everything is in, or nothing is. Triggers (the audit log's
# append-only guard) are created after the data, as pg_restore always does.
pg_restore "${dsn_args[@]}" --no-owner --no-privileges --exit-on-error --single-transaction "$dump"
psql "${dsn_args[@]}" -X -q -v ON_ERROR_STOP=1 -c "ANALYZE" > /dev/null
echo "restored $dump"
