#!/usr/bin/env bash
# Back up the hotline PostgreSQL database: pg_dump custom format (compressed, restorable
# table by table with pg_restore), written to a temporary name, fsync'd, then renamed.
#
#   deploy/backup.sh [OUTPUT_FILE]
#
# Connection: the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD or
# ~/.pgpass), or HOTLINE_BACKUP_DSN (a libpq URI such as postgresql://hotline@db/hotline).
# Without OUTPUT_FILE, writes $HOTLINE_BACKUP_DIR/hotline-<UTC time>.dump (default
# /var/lib/hotline/backups) and deletes dumps older than HOTLINE_BACKUP_KEEP_DAYS (14).
#
# The dump holds sealed personal data (AES-GCM under HOTLINE_DATA_KEYS): keep the keys
# elsewhere than the dumps, and keep every key a dump needs for as long as the dump is kept.
set -euo pipefail
umask 077

dsn_args=()
if [[ -n "${HOTLINE_BACKUP_DSN:-}" ]]; then
    dsn_args=(--dbname "$HOTLINE_BACKUP_DSN")
fi

if [[ $# -ge 1 ]]; then
    out="$1"
else
    dir="${HOTLINE_BACKUP_DIR:-/var/lib/hotline/backups}"
    mkdir -p "$dir"
    out="$dir/hotline-$(date -u +%Y%m%dT%H%M%SZ).dump"
fi

tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT
pg_dump "${dsn_args[@]}" --format=custom --compress=6 --no-owner --no-privileges --file "$tmp"
# A dump that pg_restore cannot list is not a backup.
pg_restore --list "$tmp" > /dev/null
sync "$tmp" 2>/dev/null || sync
mv "$tmp" "$out"
trap - EXIT

if [[ $# -eq 0 ]]; then
    find "$(dirname "$out")" -maxdepth 1 -name 'hotline-*.dump' -mtime "+${HOTLINE_BACKUP_KEEP_DAYS:-14}" -delete
fi
echo "$out"
