# bench/lib.sh - set-up shared by the benchmarks; sourced after test/lib.sh.

# bench_cluster: a throwaway cluster in a new temporary directory $BENCH, run
# by the unprivileged OS user (PostgreSQL refuses root), with the client
# environment (PGHOST, PGPORT, ...) exported; removed when the script exits.
bench_cluster() {
    alf_os_user >/dev/null
    alf_mktemp_dir BENCH
    alf_cleanup_install
    chown "$ALF_OS_USER": "$BENCH"
    alf_cluster_init "$BENCH/pg" "$(free_port)" >/dev/null
    alf_cluster_start "$BENCH/pg"
    alf_cluster_env "$BENCH/pg"
}

# bench_paging_servers_sql: SQL for servers zd, kore and zoho on the running
# emulator (pacing off: the benchmarks measure latency, not the rate limit),
# with the emulator's test credentials.
bench_paging_servers_sql() {
    cat <<SQL
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd OPTIONS (oauth_token 'zd-test-oauth');
CREATE SERVER kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url 'http://127.0.0.1:$EMU_KOREAI_PORT', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url 'http://127.0.0.1:$EMU_ZOHO_MAIL_PORT',
           accounts_url 'http://127.0.0.1:$EMU_ZOHO_MAIL_PORT', zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
SQL
}
